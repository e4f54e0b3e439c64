"""Benchmark: throughput of the Flink job, tuned configuration vs the seed's defaults.

Fills raw_events with --events generated events (default 2,000,000; simulated clock
from 2026-01-01, ~1,000 events per event-time second, so windows span ~33 minutes),
then runs the pipeline job over the same data once per configuration:

    default  RTA_FLINK__TUNED=false (10-tuning.sql skipped: the seed's defaults)
    tuned    10-tuning.sql applied (what `rta up` submits)

Each run is the product's own SQL (rta.pipeline.script.render) submitted fresh
through the SQL Gateway, with one change: a consumer group id of its own, so it
reads raw_events from the earliest offset (RTA_FLINK__CONSUMER_GROUP; the
group is deleted afterwards). Throughput = events / (time the last operator
counter changed - time the source emitted its first record), sampled from
Flink's REST metrics every 0.25 s (the JobManager refreshes them every 1 s, so
a run's duration is known to about +-1 s; use --events to go bigger).
While a run is busy it also samples each vertex's busyTimeMsPerSecond and
backPressuredTimeMsPerSecond, which shows the bottleneck operator.

    .venv/bin/python bench/pipeline.py                      # private stack, 2M events
    .venv/bin/python bench/pipeline.py --events 5000000 --rounds 2
    .venv/bin/python bench/pipeline.py --use-running        # stack from RTA_* / defaults

Target: >= 150,000 events/s for the tuned job. Writes bench/results/pipeline.json.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import contextlib

import _profile
from _stack import (
    RESULTS,
    bench_stack,
    cancel_active_jobs,
    cpu_by_thread_class,
    cpu_seconds,
    load_avg,
    log,
    machine,
    taskmanager_heap_mb,
    taskmanager_id,
    taskmanager_process,
    thread_times,
    today,
    write_results,
)
from rta.generator import GenerateOptions, generate
from rta.kafka.client import make_admin
from rta.pipeline.gateway import SqlGateway
from rta.pipeline.jobs import FlinkRest
from rta.pipeline.script import render, split_statements
from rta.settings import Settings

TARGET = 150_000
START = "2026-01-01T00:00:00Z"
POLL_S = 0.25
QUIET_S = 6.0  # no counter change for this long (after the source is done) = finished


@dataclass
class Run:
    config: str
    events: float = 0.0
    seconds: float = 0.0
    rate: float = 0.0
    parallelism: int = 0
    source_records: int = 0
    vertices: list[dict[str, Any]] = field(default_factory=list)
    load_avg: list[float] = field(default_factory=list)
    timed_out: bool = False
    # TaskManager process CPU (user + system) over the run, and its heap while busy.
    tm_cpu_s: float | None = None
    # The same CPU by kind of thread (bench/_stack.py THREAD_CLASSES): "other" holds
    # the operators' task threads, which the JFR profile divides further.
    thread_cpu_s: dict[str, float] | None = None
    heap_mb: list[float] = field(default_factory=list)
    profile: dict[str, Any] | None = None

    @property
    def cpu_us_per_event(self) -> float | None:
        if self.tm_cpu_s is None or not self.events:
            return None
        return self.tm_cpu_s / self.events * 1e6


def _sql(settings: Settings, tuned: bool, group: str) -> list[str]:
    flink = settings.flink.model_copy(update={"tuned": tuned, "consumer_group": group})
    return split_statements(render(settings.model_copy(update={"flink": flink})))


def _vertex_stats(rest: FlinkRest, job_id: str, vid: str) -> dict[str, float]:
    names = ["busyTimeMsPerSecond", "backPressuredTimeMsPerSecond", "idleTimeMsPerSecond"]
    data = rest.subtask_metrics(job_id, vid, names)
    out = {}
    for m in data:
        value = float(m.get("avg", 0) or 0)
        if math.isfinite(value):
            out[m["id"]] = value
    return out


def run_once(
    settings: Settings,
    events: int,
    tuned: bool,
    timeout_s: float,
    profile: bool = False,
    folded_dir: Path = RESULTS,
) -> Run:
    config = "tuned" if tuned else "default"
    run = Run(config)
    tm = taskmanager_process(settings)
    recording = RESULTS / f"pipeline-{config}.jfr"
    profiling = profile and tm is not None and _profile.available()
    if profiling:
        _profile.start(tm.pid, recording)  # type: ignore[union-attr]
    cpu_before = cpu_seconds(tm)
    threads_before = thread_times(tm.pid) if tm is not None else {}
    group = f"rta-bench-pipeline-{config}-{uuid.uuid4().hex[:8]}"
    cancel_active_jobs(settings)
    gateway = SqlGateway(settings.flink.gateway)
    try:
        results = gateway.run_script(_sql(settings, tuned, group), {})
    finally:
        gateway.close()
    job_id = next((r.job_id for r in reversed(results) if r.job_id), None)
    if job_id is None:
        sys.exit("bench: the pipeline script started no job")
    log(f"{config}: job {job_id} submitted (group {group})")
    rest = FlinkRest(settings.flink.url)
    tm_id = taskmanager_id(rest)
    samples: dict[str, list[dict[str, float]]] = {}
    try:
        deadline = time.monotonic() + timeout_s
        first_t: float | None = None
        last_zero_t = time.monotonic()
        last_change_t: float | None = None
        last_counts: tuple[int, ...] | None = None
        src_done = False
        next_stats = 0.0
        while True:
            now = time.monotonic()
            if now > deadline:
                log(f"{config}: timed out after {timeout_s:.0f} s; reporting what was processed")
                run.timed_out = True
                break
            job = rest.job(job_id)
            if job["state"] in ("FAILED", "CANCELED"):
                sys.exit(f"bench: job {job_id} is {job['state']}")
            vertices = job.get("vertices", [])
            if not vertices:
                time.sleep(POLL_S)
                continue
            source = vertices[0]
            src_out = int(source["metrics"].get("write-records", 0))
            counts = tuple(
                int(v["metrics"].get("read-records", 0)) + int(v["metrics"].get("write-records", 0))
                for v in vertices
            )
            if src_out == 0:
                last_zero_t = now
            elif first_t is None:
                # The source started between the last zero sample and this one.
                first_t = (last_zero_t + now) / 2
            if counts != last_counts:
                last_change_t = now
                last_counts = counts
            run.source_records = src_out
            if src_out >= events:
                src_done = True
            # Busy / back-pressure and heap while data flows (once a second).
            if first_t is not None and not src_done and now >= next_stats:
                next_stats = now + 1.0
                heap = taskmanager_heap_mb(rest, tm_id) if tm_id else None
                if heap is not None:
                    run.heap_mb.append(heap)
                for v in vertices:
                    with contextlib.suppress(Exception):
                        samples.setdefault(v["id"], []).append(_vertex_stats(rest, job_id, v["id"]))
            if src_done and last_change_t is not None and now - last_change_t >= QUIET_S:
                break
            time.sleep(POLL_S)
        job = rest.job(job_id)
        run.parallelism = max(v.get("parallelism", 0) for v in job["vertices"])
        for v in job["vertices"]:
            stats = samples.get(v["id"], [])
            avg = {}
            for k in ("busyTimeMsPerSecond", "backPressuredTimeMsPerSecond"):
                vals = [s[k] for s in stats if k in s]
                if vals:
                    avg[k] = round(sum(vals) / len(vals))
            run.vertices.append(
                {
                    "name": v["name"][:160],
                    "parallelism": v["parallelism"],
                    "read_records": v["metrics"].get("read-records", 0),
                    "write_records": v["metrics"].get("write-records", 0),
                    "busy_ms_per_s": avg.get("busyTimeMsPerSecond"),
                    "backpressured_ms_per_s": avg.get("backPressuredTimeMsPerSecond"),
                }
            )
        if first_t is None or last_change_t is None:
            sys.exit(f"bench: {config}: the job read nothing")
        run.seconds = last_change_t - first_t
        run.events = min(run.source_records, events)
        run.rate = run.events / run.seconds if run.seconds > 0 else 0.0
        run.load_avg = load_avg()
        cpu_after = cpu_seconds(tm)
        if cpu_before is not None and cpu_after is not None:
            run.tm_cpu_s = round(cpu_after - cpu_before, 2)
        if tm is not None:
            # Before the job is cancelled: its Kafka clients' threads end with it.
            run.thread_cpu_s = cpu_by_thread_class(threads_before, thread_times(tm.pid))
    finally:
        if profiling:
            with contextlib.suppress(Exception):
                _profile.stop(tm.pid)  # type: ignore[union-attr]
                folded = folded_dir / f"pipeline-{config}.folded"
                run.profile = _profile.summarise(recording, folded=folded)
                log(f"{config}: flame graph (folded stacks) in {folded}")
            recording.unlink(missing_ok=True)
        with contextlib.suppress(Exception):
            rest.cancel(job_id)
        rest.close()
        cancel_active_jobs(settings)
        try:
            admin = make_admin(settings)
            for fut in admin.delete_consumer_groups([group]).values():
                fut.result()
        except Exception as exc:
            log(f"could not delete group {group}: {exc}")
    cpu = run.cpu_us_per_event
    log(
        f"{config}: {run.events:,.0f} events in {run.seconds:.1f} s = {run.rate:,.0f} events/s "
        f"(p={run.parallelism}, load {run.load_avg}"
        + (f", TaskManager CPU {cpu:.0f} us/event" if cpu else "")
        + (f", heap max {max(run.heap_mb):,.0f} MB" if run.heap_mb else "")
        + ")"
    )
    if run.thread_cpu_s and run.tm_cpu_s:
        shares = ", ".join(
            f"{kind} {cpu / run.tm_cpu_s:.0%}" for kind, cpu in run.thread_cpu_s.items()
        )
        log(f"   TaskManager CPU by thread: {shares}")
    if run.profile:
        for t in run.profile["threads"][:8]:
            log(f"   {t['share']:6.1%} of samples  {t['thread'][:90]}")
        for hot in run.profile["hottest"][:2]:
            log(f"   self time in {hot['thread'][:70]}:")
            for m in hot["self"][:8]:
                log(f"      {m['share']:6.1%}  {m['method']}")
    for v in run.vertices:
        log(
            f"   busy {v['busy_ms_per_s']!s:>5} bp {v['backpressured_ms_per_s']!s:>5} "
            f"in {v['read_records']:>9} out {v['write_records']:>9}  {v['name'][:90]}"
        )
    return run


def fill(settings: Settings, events: int) -> float:
    log(f"producing {events:,} events into {settings.kafka.raw_topic}")
    options = GenerateOptions(count=events, rate=0, seed=1, start=START)
    summary = generate(settings, options)
    if summary.error:
        sys.exit(f"bench: {summary.error}")
    log(f"produced {summary.sent:,} in {summary.elapsed_s:.1f} s ({summary.rate:,.0f}/s)")
    return float(summary.sent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2_000_000, help="events in raw_events")
    parser.add_argument(
        "--rounds", type=int, default=1, help="default/tuned pairs, alternating; best counts"
    )
    parser.add_argument("--timeout", type=float, default=300, help="max seconds per run")
    parser.add_argument(
        "--use-running",
        action="store_true",
        help="use the running stack (RTA_* env) instead of a private one; its raw_events "
        "must be empty or hold only this bench's data, and its pipeline job is cancelled",
    )
    parser.add_argument("--keep", action="store_true", help="keep the private stack's state dir")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="record each run's TaskManager with JFR (jcmd) and keep a per-task summary of "
        "where its CPU went in the results",
    )
    parser.add_argument(
        "--only",
        choices=["default", "tuned"],
        default=None,
        help="run one configuration only, to try a change: prints its figures (a flame "
        "graph with --profile goes to the temp dir) and "
        "writes no results (a result needs both, measured in the same run)",
    )
    parser.add_argument(
        "--tm-memory",
        default=None,
        help="TaskManager process size of the private stack (default: rta's, "
        "flink.taskmanager_memory)",
    )
    parser.add_argument(
        "--state-backend",
        choices=["rocksdb", "hashmap"],
        default=None,
        help="state backend of both configurations (default: rta's, flink.state_backend)",
    )
    parser.add_argument(
        "--sql-dir",
        type=Path,
        default=None,
        help="a copy of the pipeline's .sql files to run instead of the packaged ones "
        "(flink.sql_dir), to try a change to the job with --only",
    )
    args = parser.parse_args()
    # Before the private stack starts: a load >= 1 here means the machine was not quiet.
    load_before = load_avg()
    runs: list[Run] = []
    overrides: dict[str, Any] = {"taskmanager_memory": args.tm_memory} if args.tm_memory else {}
    if args.state_backend:
        overrides["state_backend"] = args.state_backend
    if args.sql_dir:
        overrides["sql_dir"] = args.sql_dir.resolve()
    with bench_stack(
        use_running=args.use_running,
        pinot=False,
        submit_pipeline=False,
        keep=args.keep,
        **overrides,
    ) as settings:
        tm_memory = settings.flink.taskmanager_memory
        state_backend = settings.flink.state_backend
        cancel_active_jobs(settings)
        if args.use_running:
            log("note: the running stack's raw_events may already hold data; it is all read")
        sent = fill(settings, args.events)
        total = sent
        if args.use_running:
            total = _topic_size(settings)
        configs = (False, True) if args.only is None else (args.only == "tuned",)
        for _ in range(args.rounds):
            for tuned_run in configs:
                runs.append(
                    run_once(
                        settings,
                        int(total),
                        tuned_run,
                        timeout_s=args.timeout,
                        profile=args.profile,
                        # A trial run leaves the committed flame graphs alone.
                        folded_dir=RESULTS if args.only is None else Path(tempfile.gettempdir()),
                    )
                )
    if args.only is not None:
        best = max(runs, key=lambda r: r.rate)
        print(
            f"{args.only} config only: {best.rate:,.0f} events/s ({best.seconds:.1f} s); "
            "no results written"
        )
        return
    tuned = max((r for r in runs if r.config == "tuned"), key=lambda r: r.rate)
    default = max((r for r in runs if r.config == "default"), key=lambda r: r.rate)
    ratio = tuned.rate / default.rate if default.rate else 0.0
    la = load_avg()
    results = [
        {
            "name": "pipeline_throughput_tuned",
            "value": round(tuned.rate),
            "unit": "events/s",
            "baseline": round(default.rate),
            "ratio": round(ratio, 3),
            "date": today(),
            "load_avg_before": load_before,
            "load_avg": la,
            "baseline_name": "same job, seed default configuration (RTA_FLINK__TUNED=false)",
            "events": int(total),
            "parallelism": tuned.parallelism,
            "taskmanager_memory": tm_memory,
            "state_backend": state_backend,
            "tuning": _tuning_lines(settings),
            "target": TARGET,
            "machine": machine(),
            "cores": os.cpu_count(),
            "runs": [
                {
                    "config": r.config,
                    "rate": round(r.rate),
                    "seconds": round(r.seconds, 2),
                    "events": int(r.events),
                    "parallelism": r.parallelism,
                    "load_avg": r.load_avg,
                    "timed_out": r.timed_out,
                    "source_records": r.source_records,
                    "taskmanager_cpu_s": r.tm_cpu_s,
                    "thread_cpu_s": r.thread_cpu_s,
                    "cpu_us_per_event": round(r.cpu_us_per_event, 1)
                    if r.cpu_us_per_event
                    else None,
                    "heap_mb_max": max(r.heap_mb) if r.heap_mb else None,
                    "heap_mb_last": r.heap_mb[-1] if r.heap_mb else None,
                    "vertices": r.vertices,
                    "profile": r.profile,
                }
                for r in runs
            ],
        }
    ]
    path = write_results("pipeline", results)
    print(
        f"events in raw_events : {int(total):,} (parallelism {tuned.parallelism}, "
        f"TaskManager {tm_memory}, {state_backend} state)"
    )
    print(f"default config       : {default.rate:>10,.0f} events/s ({default.seconds:.1f} s)")
    print(f"tuned config         : {tuned.rate:>10,.0f} events/s ({tuned.seconds:.1f} s)")
    print(f"ratio tuned/default  : {ratio:10.2f}")
    print(f"load average         : {la}")
    verdict = "met" if tuned.rate >= TARGET else "NOT met"
    print(f"target (tuned >= {TARGET:,}/s): {verdict}")
    print(f"wrote {path}")


def _tuning_lines(settings: Settings) -> list[str]:
    """The statements of 10-tuning.sql as the tuned job submits them (the file changes
    over time), read the way the pipeline reads it."""
    flink = settings.flink.model_copy(update={"tuned": True})
    sql = render(settings.model_copy(update={"flink": flink}), ("10-tuning.sql",))
    return [f"{statement};" for statement in split_statements(sql)]


def _topic_size(settings: Settings) -> int:
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": settings.kafka.bootstrap, "group.id": "rta-bench-size"})
    try:
        md = c.list_topics(settings.kafka.raw_topic, timeout=10)
        total = 0
        for p in md.topics[settings.kafka.raw_topic].partitions:
            lo, hi = c.get_watermark_offsets(TopicPartition(settings.kafka.raw_topic, p), 10)
            total += hi - lo
        return total
    finally:
        c.close()


if __name__ == "__main__":
    main()
