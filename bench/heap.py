"""Benchmark: does the TaskManager's heap stay flat while the pipeline runs for 10 minutes?

Starts a private stack (Kafka, Flink with the pipeline job as `rta up` submits it;
no Pinot, which reads but never feeds the job), then produces --rate events/s on
the real clock (`rta generate --rate`, realistic sessions). Once the job's source
reads (it deploys while the generator starts, as under `rta up`), it samples once a
minute for --duration seconds: it forces a full garbage collection on the TaskManager
(`jcmd <pid> GC.run`) and reads the heap in use from the JVM (`jcmd <pid>
GC.heap_info`): the live heap, not the sawtooth of young collections between them.
It also reads how many records the job's source has taken (Flink's REST metrics,
up to 10 s old), so the figure comes with the proof that the job kept up (a job
that fell behind would hold less state than one that did not).

The de-duplication remembers every event id for the horizon (an hour by default),
so state grows through the whole run: on the default RocksDB backend it grows off
the heap (managed memory and local disk); `--state-backend hashmap` shows the heap
backend for comparison.

    .venv/bin/python bench/heap.py                          # 6,000 events/s, 10 minutes
    .venv/bin/python bench/heap.py --rate 5000 --state-backend hashmap

Figure: live heap after the last minute; baseline: live heap after the first minute;
target: ratio <= 1.2 (within 20 %). Writes bench/results/heap.json.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _stack import (
    bench_stack,
    load_avg,
    log,
    machine,
    taskmanager_process,
    today,
    write_results,
)
from rta.generator import GenerateOptions, generate
from rta.pipeline.jobs import FlinkRest
from rta.settings import Settings

TARGET_RATIO = 1.2


_HEAP_USED = re.compile(r"heap\s+total \d+K, used (\d+)K")


def _live_heap_mb(pid: int) -> float:
    """The TaskManager's heap in use right after a full collection, from the JVM itself:
    Flink's REST metrics are cached by the JobManager for up to 10 s, so they can show
    the heap from before the collection."""
    subprocess.run(["jcmd", str(pid), "GC.run"], check=True, capture_output=True)
    info = subprocess.run(
        ["jcmd", str(pid), "GC.heap_info"], check=True, capture_output=True, text=True
    ).stdout
    m = _HEAP_USED.search(info)
    if m is None:
        sys.exit(f"bench: no heap figure in jcmd GC.heap_info:\n{info}")
    return round(int(m.group(1)) / 1024, 1)


def _source_records(rest: FlinkRest) -> int:
    """Records the running job's source vertex has emitted so far."""
    jobs = [j for j in rest.jobs_overview() if j["state"] == "RUNNING"]
    if not jobs:
        sys.exit("bench: the pipeline job is not running")
    vertices = rest.job(jobs[0]["jid"]).get("vertices", [])
    return int(vertices[0]["metrics"].get("write-records", 0)) if vertices else 0


def measure(settings: Settings, rate: float, duration_s: float) -> dict[str, Any]:
    tm = taskmanager_process(settings)
    if tm is None:
        sys.exit("bench: needs the local TaskManager (jcmd)")
    rest = FlinkRest(settings.flink.url)
    stop = threading.Event()
    summary: dict[str, Any] = {}

    def produce() -> None:
        # Until stopped: the minutes count from when the job starts reading.
        result = generate(settings, GenerateOptions(rate=rate, seed=1), stop=stop)
        summary.update(sent=result.sent, error=result.error)

    producer = threading.Thread(target=produce, name="generator", daemon=True)
    t0 = time.monotonic()
    producer.start()
    samples: list[dict[str, Any]] = []
    try:
        # The job deploys while the generator starts (as under `rta up`): wait until
        # its source reads, so minute 1 is a minute of processing.
        deadline = t0 + 300
        while _source_records(rest) == 0:
            if time.monotonic() > deadline:
                sys.exit("bench: the job read nothing within 300 s")
            time.sleep(0.5)
        t_read = time.monotonic()
        log(f"the job reads: {t_read - t0:.1f} s after the generator started")
        for minute in range(1, int(duration_s // 60) + 1):
            time.sleep(max(0.0, t_read + minute * 60 - time.monotonic()))
            heap = _live_heap_mb(tm.pid)
            read = _source_records(rest)
            at = time.monotonic() - t0
            samples.append(
                {"minute": minute, "heap_mb": heap, "source_records": read, "at_s": round(at)}
            )
            log(f"minute {minute:>2}: live heap {heap} MB, source read {read:,} records")
    finally:
        stop.set()
        producer.join(timeout=60)
        rest.close()
    if summary.get("error"):
        sys.exit(f"bench: the generator failed: {summary['error']}")
    return {
        "samples": samples,
        "sent": summary.get("sent", 0),
        "read_after_s": round(t_read - t0, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rate",
        type=float,
        default=6000,
        help="events/s produced (default: what this 2-core machine sustains with the "
        "generator beside the job, with room to absorb the start-up backlog)",
    )
    parser.add_argument("--duration", type=float, default=600, help="seconds of traffic")
    parser.add_argument(
        "--state-backend",
        choices=["rocksdb", "hashmap"],
        default=None,
        help="state backend of the job (default: rta's, flink.state_backend)",
    )
    args = parser.parse_args()
    if args.duration < 120:
        parser.error("--duration: at least 120 s (two samples, a minute apart)")
    load_before = load_avg()
    overrides = {"state_backend": args.state_backend} if args.state_backend else {}
    with bench_stack(use_running=False, pinot=False, **overrides) as settings:
        state_backend = settings.flink.state_backend
        tm_memory = settings.flink.taskmanager_memory
        run = measure(settings, args.rate, args.duration)
    samples = run["samples"]
    first, last = samples[0], samples[-1]
    if first["heap_mb"] is None or last["heap_mb"] is None:
        sys.exit("bench: the TaskManager's heap could not be read")
    # Kept up: by the last sample the source had read (nearly) all that was produced
    # since the generator started; a second of traffic is in flight at any moment.
    expected = args.rate * last["at_s"]
    behind = max(0.0, expected - last["source_records"])
    ratio = last["heap_mb"] / first["heap_mb"]
    la = load_avg()
    results = [
        {
            "name": "taskmanager_live_heap_after_run",
            "value": last["heap_mb"],
            "unit": "MB",
            "baseline": first["heap_mb"],
            "baseline_name": "live heap after the first minute",
            "ratio": round(ratio, 3),
            "target": f"ratio <= {TARGET_RATIO}",
            "date": today(),
            "load_avg_before": load_before,
            "load_avg": la,
            "rate": args.rate,
            "duration_s": args.duration,
            "sent": run["sent"],
            "source_records": last["source_records"],
            "job_reading_after_s": run["read_after_s"],
            "behind_at_last_sample": round(behind),
            "state_backend": state_backend,
            "taskmanager_memory": tm_memory,
            "machine": machine(),
            "samples": samples,
        }
    ]
    path = write_results("heap", results)
    print(f"rate, duration        : {args.rate:,.0f} events/s for {args.duration:.0f} s")
    print(f"state backend         : {state_backend} (TaskManager {tm_memory})")
    print(f"live heap, minute 1   : {first['heap_mb']:,.1f} MB")
    print(f"live heap, minute {last['minute']:<3}: {last['heap_mb']:,.1f} MB")
    print(f"ratio                 : {ratio:.3f} (target <= {TARGET_RATIO})")
    print(f"source behind at end  : {behind:,.0f} records")
    print(f"load average          : {load_before} -> {la}")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
