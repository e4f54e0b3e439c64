"""Shared helpers of the stack benchmarks (pipeline, freshness, query).

`bench_stack()` starts a private local stack on free ports in a temporary state
directory (the approach of tests/integration/conftest.py), so a bench never
touches a developer's stack on the default ports nor leaves data behind; with
`use_running=True` it uses the stack that `load_settings()` describes
(defaults, rta.toml, RTA_* environment) and starts or stops nothing.

It starts and provisions through rta.lifecycle, as `rta up` and the tests do, with
only the engines a bench needs (the pipeline bench pays for no Pinot) and, when asked,
without submitting the pipeline job.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import psutil

from rta import lifecycle
from rta.layout import Layout
from rta.pipeline.jobs import FlinkRest, FlinkRestError
from rta.provision import Part
from rta.settings import Settings, load_settings
from rta.stack.artifacts import classpath
from rta.stack.java import find_java
from rta.stack.process import PidFile
from rta.testing import settings_on_free_ports

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def load_avg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def wait_for_load(below: float = 1.0, timeout_s: float = 600.0) -> list[float]:
    """Waits until the 1-minute load average is under `below` (a stack that just
    stopped leaves it high for minutes), at most timeout_s; returns the load then."""
    deadline = time.monotonic() + timeout_s
    while (load := load_avg())[0] >= below and time.monotonic() < deadline:
        log(f"load {load[0]}: waiting for it to fall under {below:g}")
        time.sleep(15)
    return load


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def private_settings(state_dir: Path, **flink: Any) -> Settings:
    """Settings of a stack on free 127.0.0.1 ports under state_dir."""
    base = load_settings()  # keeps JAVA_HOME / cache dir of this checkout
    cache = base.cache_dir if base.cache_dir.is_absolute() else REPO / ".cache" / "jvm"
    return settings_on_free_ports(state_dir, cache, base.java_home, **flink)


def cancel_active_jobs(settings: Settings, timeout_s: float = 60.0) -> None:
    """Cancel every running job of the cluster and wait until none is active."""
    rest = FlinkRest(settings.flink.url)
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            overview = rest.jobs_overview()
            active = [j for j in overview if j["state"] not in ("CANCELED", "FINISHED", "FAILED")]
            if not active:
                return
            for j in active:
                if j["state"] != "CANCELLING":
                    with suppress(FlinkRestError):
                        rest.cancel(j["jid"])
            time.sleep(0.5)
        raise TimeoutError("Flink jobs did not cancel in time")
    finally:
        rest.close()


def taskmanager_process(settings: Settings) -> psutil.Process | None:
    """The local TaskManager's JVM (None for a remote cluster)."""
    if settings.flink.is_remote:
        return None
    return PidFile(Layout(settings.state_dir).pid_file("flink-taskmanager")).process()


def cpu_seconds(proc: psutil.Process | None) -> float | None:
    """User + system CPU seconds of a process so far (as bench/collector.py counts)."""
    if proc is None:
        return None
    try:
        return float(sum(proc.cpu_times()[:2]))
    except psutil.Error:
        return None


# What a JVM's threads do, by the name Linux knows them by (15 characters at most):
# JFR's execution samples see Java code, not the JIT compilers, the garbage collector
# or RocksDB's own flush and compaction threads, so the benches count those apart.
THREAD_CLASSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("jit", ("C1 CompilerThre", "C2 CompilerThre")),
    ("gc", ("GC Thread", "G1 ")),
    ("rocksdb", ("rocksdb:",)),
    ("kafka client", ("kafka-producer-", "kafka-coordinat", "Source Data Fet")),
)


def thread_times(pid: int) -> dict[int, tuple[str, float]]:
    """CPU seconds (user + system) so far of each thread of a process, by thread id."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[int, tuple[str, float]] = {}
    with suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                name = (task / "comm").read_text().strip()
                # After the name in parentheses: state, then 10 fields, then utime, stime.
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # the thread ended meanwhile
            out[int(task.name)] = (name, (int(fields[11]) + int(fields[12])) / tick)
    return out


def thread_class(name: str) -> str:
    for kind, prefixes in THREAD_CLASSES:
        if name.startswith(prefixes):
            return kind
    return "other"


def cpu_by_thread_class(
    before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]
) -> dict[str, float]:
    """CPU seconds per thread class between two `thread_times` snapshots; a thread
    that ended in between is missing from `after` and its last stretch with it, so
    take `after` before the work's threads stop (a job's before it is cancelled)."""
    out = {kind: 0.0 for kind, _ in THREAD_CLASSES} | {"other": 0.0}
    for tid, (name, cpu) in after.items():
        out[thread_class(name)] += cpu - before.get(tid, (name, 0.0))[1]
    return {kind: round(cpu, 2) for kind, cpu in out.items()}


def taskmanager_id(rest: FlinkRest) -> str | None:
    """The (first) TaskManager's id, for its metrics."""
    with suppress(Exception):
        tms = rest.request("GET", "/taskmanagers").get("taskmanagers", [])
        if tms:
            return str(tms[0]["id"])
    return None


def taskmanager_heap_mb(rest: FlinkRest, tm_id: str) -> float | None:
    """Heap in use on that TaskManager, from Flink's REST metrics."""
    with suppress(Exception):
        path = f"/taskmanagers/{tm_id}/metrics?get=Status.JVM.Memory.Heap.Used"
        metrics = rest.request("GET", path)
        if metrics:
            return round(float(metrics[0]["value"]) / 2**20, 1)
    return None


@contextmanager
def bench_stack(
    *,
    use_running: bool,
    kafka: bool = True,
    flink: bool = True,
    pinot: bool = True,
    tables: bool = True,
    submit_pipeline: bool = True,
    keep: bool = False,
    **flink_overrides: Any,
) -> Iterator[Settings]:
    """A running stack's settings: a private one (started here, stopped on exit) or
    the already running one (use_running). tables=False starts Pinot without rta's
    tables (a bench that makes its own)."""
    if use_running:
        settings = load_settings()
        log(
            f"using the running stack: kafka {settings.kafka.bootstrap}, flink "
            f"{settings.flink.url}, pinot broker {settings.pinot.broker}"
        )
        yield settings
        return
    state_dir = Path(tempfile.mkdtemp(prefix="rta-bench-"))
    settings = private_settings(state_dir, **flink_overrides)
    engines = [e for e, wanted in (("kafka", kafka), ("pinot", pinot), ("flink", flink)) if wanted]
    parts: list[Part] = ["topics"]
    if pinot and tables:
        parts.append("tables")
    if flink and submit_pipeline:
        parts.append("pipeline")
    try:
        t0 = time.monotonic()
        log(f"starting {', '.join(engines)} (private stack in {state_dir})")
        for r in lifecycle.up(settings, log, names=engines, parts=parts):
            log(f"{r.component} ready in {r.seconds:.1f} s")
        log(f"stack ready in {time.monotonic() - t0:.1f} s")
        yield settings
    finally:
        log("stopping the private stack")
        if flink:
            try:
                cancel_active_jobs(settings, timeout_s=30)  # no final savepoint needed
            except Exception as exc:
                log(f"cancel failed: {exc}")
        try:
            lifecycle.down(settings, log)
        except Exception as exc:
            log(f"stopping failed: {exc}")
        if keep:
            log(f"kept state in {state_dir}")
        else:
            shutil.rmtree(state_dir, ignore_errors=True)


def scratch_topic(settings: Settings, topic: str) -> None:
    """A fresh `topic` (dropped first if a previous run left it), with raw_events'
    partitions: so that no run appends to data the pipeline reads."""
    from confluent_kafka.admin import NewTopic

    from rta.kafka.client import make_admin

    admin = make_admin(settings)
    try:
        existing = admin.list_topics(timeout=10).topics
    except Exception:
        sys.exit(
            f"bench: cannot reach Kafka at {settings.kafka.bootstrap}; is the stack up? "
            "(`rta up --detach --no-generate`)"
        )
    if topic in existing:
        for fut in admin.delete_topics([topic]).values():
            fut.result()
        time.sleep(2)  # deletion completes asynchronously on the broker
    new = NewTopic(topic, num_partitions=settings.kafka.partitions, replication_factor=1)
    for fut in admin.create_topics([new]).values():
        fut.result()


def drop_topic(settings: Settings, topic: str) -> None:
    from rta.kafka.client import make_admin

    admin = make_admin(settings)  # keep a reference until the futures resolve
    for fut in admin.delete_topics([topic], operation_timeout=30).values():
        fut.result()


def kafka_tool(settings: Settings, tool: str, args: list[str], timeout_s: float) -> str:
    """Runs one of Kafka's own tools (org.apache.kafka.tools.<tool>, from the broker's
    classpath) and returns its stdout; exits with its stderr if it fails."""
    java = find_java(settings.java_home)
    cmd = [
        str(java.executable),
        "-cp",
        classpath(settings.cache_dir, "kafka"),
        f"org.apache.kafka.tools.{tool}",
        *args,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    if out.returncode != 0:
        sys.exit(f"bench: {tool} failed ({out.returncode}):\n{out.stderr[-2000:]}")
    return out.stdout


def write_results(name: str, records: list[dict[str, Any]]) -> Path:
    path = RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(records, indent=2) + "\n")
    return path


def today() -> str:
    return dt.date.today().isoformat()


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(p / 100 * len(s) + 0.5) - 1))
    return s[k]
