"""Where a Flink TaskManager spends its CPU: a JFR recording, summarised per task.

`jcmd <pid> JFR.start` samples the TaskManager's Java threads while a bench run
is busy; `summarise()` folds the samples by thread (Flink names each task thread
after its operator chain) and, for the busiest threads, by the methods on their
stacks. Flink's own flame graphs (rest.flamegraph.enabled) show one vertex at a
time; this shows every vertex in one table, which is what a two-core machine
needs: every operator competes for the same CPU, so busy/back-pressure ratios
mislead and sample shares do not.

JFR's execution samples see only threads running Java code; a thread inside a JNI
call is sampled separately (jdk.NativeMethodSample), at half the rate in JFR's
`profile` settings. RocksDB state is read and written through JNI, so without
those samples every stateful operator looks cheaper than it is. The summary adds
the native samples whose top frame is a RocksDB call, each counting twice (the
ratio of the two sampling periods); other native samples are threads waiting
(sockets, epoll), not working, and stay out.

`summarise(..., folded=path)` also writes the busiest thread's stacks in the folded
format of Brendan Gregg's flamegraph.pl (one `frame;frame;...;leaf count` line per
distinct stack), which flamegraph.pl, speedscope or Firefox's profiler render as a
flame graph.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

_TASK_SUFFIX = re.compile(r"\s*\(\d+/\d+\)#\d+$")
# The JDK's profile.jfc: Java code sampled every 10 ms, native code every 20 ms
# (_NATIVE_WEIGHT below depends on that ratio).
_SETTINGS = "profile"


def available() -> bool:
    return shutil.which("jcmd") is not None and shutil.which("jfr") is not None


def start(pid: int, out: Path) -> None:
    subprocess.run(
        [
            "jcmd",
            str(pid),
            "JFR.start",
            "name=rta-bench",
            f"settings={_SETTINGS}",
            f"filename={out}",
        ],
        check=True,
        capture_output=True,
    )


def stop(pid: int) -> None:
    subprocess.run(
        ["jcmd", str(pid), "JFR.stop", "name=rta-bench"], check=True, capture_output=True
    )


_EXECUTION = "jdk.ExecutionSample"
_NATIVE = "jdk.NativeMethodSample"
# A native sample stands for twice the time of a Java one under _SETTINGS.
_NATIVE_WEIGHT = 2
_ROCKSDB = "org.rocksdb."
_THREAD = re.compile(r'^\s*sampledThread = "(.*)" \(javaThreadId')
_FRAME = re.compile(r"^\s+([\w$.<>/]+)\(")


def _short(method: str) -> str:
    """pkg.Class.method -> Class.method."""
    parts = method.rsplit(".", 2)
    return ".".join(parts[-2:])


def flink_task(thread: str) -> str:
    """A Flink task thread's name without its subtask and attempt suffix, so that the
    subtasks of one operator chain count together."""
    return _TASK_SUFFIX.sub("", thread)


def summarise(
    recording: Path,
    threads: int = 4,
    methods: int = 12,
    folded: Path | None = None,
    thread_name: Callable[[str], str] = flink_task,
) -> dict[str, Any]:
    """Sample shares per task thread; the top inclusive and self methods of the busiest.

    Reads `jfr print` line by line: a recording of a few minutes prints gigabytes,
    which must not be held in memory at once. `thread_name` maps a thread's name to
    the row it counts in (by default a Flink task's). With `folded`, the busiest thread's
    stacks go there in flamegraph.pl's folded format (stacks under 0.05 % of its
    samples are left out, so the file stays small)."""
    per_thread: Counter[str] = Counter()
    inclusive: defaultdict[str, Counter[str]] = defaultdict(Counter)
    # Self time: the frame on top of the stack, where the CPU actually was.
    own: defaultdict[str, Counter[str]] = defaultdict(Counter)
    stacks: defaultdict[str, Counter[str]] = defaultdict(Counter)
    thread = "?"
    frames: list[str] = []
    native = False
    top = ""
    in_stack = False
    with subprocess.Popen(
        ["jfr", "print", "--stack-depth", "64", "--events", f"{_EXECUTION},{_NATIVE}",
         str(recording)],
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:  # fmt: skip
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith((_EXECUTION, _NATIVE)):
                thread, frames, top, in_stack = "?", [], "", False
                native = line.startswith(_NATIVE)
            elif (m := _THREAD.match(line)) is not None:
                thread = thread_name(m.group(1))[:100]
            elif line.strip().startswith("stackTrace = ["):
                in_stack = True
            elif in_stack and line.strip() == "]":
                in_stack = False
            elif in_stack and (m := _FRAME.match(line)) is not None:
                top = top or m.group(1)
                frames.append(_short(m.group(1)))
            elif line.startswith("}"):
                if native and not top.startswith(_ROCKSDB):
                    continue
                weight = _NATIVE_WEIGHT if native else 1
                per_thread[thread] += weight
                for method in set(frames):
                    inclusive[thread][method] += weight
                if frames:
                    own[thread][frames[0]] += weight
                    if folded is not None:
                        # jfr prints the top frame first; folded stacks start at the root.
                        stacks[thread][";".join(reversed(frames))] += weight
    total = sum(per_thread.values()) or 1
    if folded is not None and per_thread:
        busiest, n = per_thread.most_common(1)[0]
        keep = [(s, c) for s, c in stacks[busiest].most_common() if c >= n * 0.0005]
        folded.write_text("".join(f"{s} {c}\n" for s, c in keep))
    return {
        "samples": total,
        "threads": [
            {"thread": t, "share": round(n / total, 3)} for t, n in per_thread.most_common(12)
        ],
        "hottest": [
            {
                "thread": t,
                "methods": [
                    {"method": m, "share": round(c / n, 3)}
                    for m, c in inclusive[t].most_common(60)
                    # Frames every sample has (the task loop) say nothing.
                    if c / n < 0.9
                ][:methods],
                "self": [
                    {"method": m, "share": round(c / n, 3)} for m, c in own[t].most_common(methods)
                ],
            }
            for t, n in per_thread.most_common(threads)
        ],
    }
