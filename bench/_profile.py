"""Where a Flink TaskManager spends its CPU: a JFR recording, summarised per task.

`jcmd <pid> JFR.start` samples the TaskManager's Java threads while a bench run
is busy; `summarise()` folds the samples by thread (Flink names each task thread
after its operator chain) and, for the busiest threads, by the methods on their
stacks. Flink's own flame graphs (rest.flamegraph.enabled) show one vertex at a
time; this shows every vertex in one table, which is what a two-core machine
needs: every operator competes for the same CPU, so busy/back-pressure ratios
mislead and sample shares do not.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

_TASK_SUFFIX = re.compile(r"\s*\(\d+/\d+\)#\d+$")


def available() -> bool:
    return shutil.which("jcmd") is not None and shutil.which("jfr") is not None


def start(pid: int, out: Path) -> None:
    subprocess.run(
        ["jcmd", str(pid), "JFR.start", "name=rta-bench", "settings=profile", f"filename={out}"],
        check=True,
        capture_output=True,
    )


def stop(pid: int) -> None:
    subprocess.run(
        ["jcmd", str(pid), "JFR.stop", "name=rta-bench"], check=True, capture_output=True
    )


def _frame(f: dict[str, Any]) -> str:
    m = f["method"]
    return f"{m['type']['name'].rsplit('/', 1)[-1]}.{m['name']}"


def summarise(recording: Path, threads: int = 4, methods: int = 12) -> dict[str, Any]:
    """Sample shares per task thread, and the top inclusive methods of the busiest."""
    printed = subprocess.run(
        [
            "jfr",
            "print",
            "--json",
            "--stack-depth",
            "64",
            "--events",
            "jdk.ExecutionSample",
            str(recording),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    events = json.loads(printed)["recording"]["events"]
    per_thread: Counter[str] = Counter()
    inclusive: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for event in events:
        values = event["values"]
        name = (values.get("sampledThread") or {}).get("javaName") or "?"
        name = _TASK_SUFFIX.sub("", name)[:100]
        per_thread[name] += 1
        frames = (values.get("stackTrace") or {}).get("frames") or []
        for method in {_frame(f) for f in frames}:
            inclusive[name][method] += 1
    total = sum(per_thread.values()) or 1
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
            }
            for t, n in per_thread.most_common(threads)
        ],
    }
