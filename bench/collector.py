"""Benchmark: events/s accepted by `rta collector` over HTTP vs the generator producing
the same events straight to Kafka.

Starts the real collector as a process (`python -m rta collector`, a write key made
with `rta collector keys add bench` in a temporary state directory), its raw topic a
scratch topic (RTA_KAFKA__RAW_TOPIC=rta_bench_collector, dropped afterwards), and
posts --events generated events (seed 1) in bodies of --batch events over
--connections keep-alive connections from bench/_load.py, a separate process. Counts
only events that 2xx answers report `accepted`; any other answer is a failure, and
afterwards the scratch topic's end offsets must have grown by exactly the accepted
count (fewer: records confirmed but missing; more: records of refused requests that
arrived anyway). Baseline, in the same run: `rta generate --rate 0` of the same number
of events (seed 1) to the same topic, i.e. bench/generator.py's "ours".

Needs only Kafka. By default it starts a private broker on free ports; --use-running
uses the broker from RTA_* / defaults (its raw_events and DLQ topics must exist).

    .venv/bin/python bench/collector.py                       # 500,000 events, 2 rounds
    .venv/bin/python bench/collector.py --events 1000000 --connections 32 --rounds 3

Each side runs --rounds times, alternating; each side's best counts. Target: at least
50,000 events/s through the collector. Writes bench/results/collector.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _load import SEED, START
from _stack import (
    REPO,
    bench_stack,
    drop_topic,
    load_avg,
    log,
    machine,
    scratch_topic,
    today,
    write_results,
)
from rta.settings import Settings
from rta.testing import free_ports

TOPIC = "rta_bench_collector"
TARGET = 50_000
LOAD = Path(__file__).with_name("_load.py")


@dataclass
class Round:
    side: str  # "collector" or "generator"
    rate: float
    seconds: float
    accepted: int
    written: int
    """Records the scratch topic grew by during the run."""
    load_avg: list[float]
    failures: dict[str, int] = field(default_factory=dict)
    failed_events: int = 0
    cpu_s: dict[str, float] = field(default_factory=dict)
    """CPU seconds of the collector and the load generator processes (collector side)."""


# --- Kafka: scratch topic and its size ---------------------------------------------


def topic_end(settings: Settings) -> int:
    """Sum of the scratch topic's end offsets (nothing is ever deleted from it)."""
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": settings.kafka.bootstrap, "group.id": "rta-bench-size"})
    try:
        parts = c.list_topics(TOPIC, timeout=10).topics[TOPIC].partitions
        return sum(c.get_watermark_offsets(TopicPartition(TOPIC, p), 10)[1] for p in parts)
    finally:
        c.close()


# --- the collector as a process ----------------------------------------------------


def collector_env(settings: Settings, state_dir: Path, port: int) -> dict[str, str]:
    """The environment of a collector on `port` writing to the scratch topic."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RTA_")}
    k = settings.kafka
    if k.bootstrap_servers:
        env["RTA_KAFKA__BOOTSTRAP_SERVERS"] = k.bootstrap_servers
    else:
        env.update(RTA_KAFKA__HOST=k.host, RTA_KAFKA__PORT=str(k.port))
    env.update(
        RTA_STATE_DIR=str(state_dir),
        RTA_KAFKA__RAW_TOPIC=TOPIC,
        RTA_KAFKA__DLQ_TOPIC=k.dlq_topic,
        RTA_COLLECTOR__HOST="127.0.0.1",
        RTA_COLLECTOR__PORT=str(port),
    )
    return env


def _rta(*args: str) -> list[str]:
    return [sys.executable, "-m", "rta", *args]


@contextmanager
def running_collector(
    settings: Settings, startup_timeout_s: float
) -> Iterator[tuple[str, str, psutil.Process]]:
    """(url, write key, process) of a collector started here and stopped on exit."""
    state_dir = Path(tempfile.mkdtemp(prefix="rta-bench-collector-"))
    (port,) = free_ports(1)
    env = collector_env(settings, state_dir, port)
    made = subprocess.run(
        _rta("collector", "keys", "add", "bench"),
        env=env, cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if made.returncode != 0:
        sys.exit(f"bench: `rta collector keys add` failed:\n{made.stderr[-2000:]}")
    key = made.stdout.strip()
    log_path = state_dir / "collector.out"
    url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            _rta("collector"), env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        _wait_healthy(url, proc, log_path, startup_timeout_s)
        log(f"collector ready at {url} (pid {proc.pid}, raw topic {TOPIC})")
        yield url, key, psutil.Process(proc.pid)
    finally:
        proc.send_signal(signal.SIGINT)  # as Ctrl-C: finish requests, flush the producer
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            log("collector did not stop within 40 s; killing it")
            proc.kill()
            proc.wait()
        shutil.rmtree(state_dir, ignore_errors=True)


def _wait_healthy(
    url: str, proc: subprocess.Popen[bytes], log_path: Path, timeout_s: float
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log_path.read_text(errors="replace")[-3000:]
            sys.exit(f"bench: the collector exited with {proc.returncode}:\n{tail}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    tail = log_path.read_text(errors="replace")[-3000:]
    sys.exit(f"bench: the collector did not answer /healthz within {timeout_s:.0f} s:\n{tail}")


# --- the two sides -----------------------------------------------------------------


def through_collector(
    settings: Settings, url: str, key: str, collector: psutil.Process, args: argparse.Namespace
) -> Round:
    before, cpu0 = topic_end(settings), sum(collector.cpu_times()[:2])
    cmd = [sys.executable, str(LOAD), "--url", url, "--key", key]
    cmd += ["--events", str(args.events), "--batch", str(args.batch)]
    cmd += ["--connections", str(args.connections), "--form", args.form]
    # stderr passes through: the load generator's progress lines.
    done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"bench: the load generator failed ({done.returncode})")
    result = json.loads(done.stdout)
    cpu = sum(collector.cpu_times()[:2]) - cpu0
    written = _settled_end(settings, before, result["accepted"]) - before
    return Round(
        side="collector",
        rate=result["accepted"] / result["seconds"],
        seconds=result["seconds"],
        accepted=result["accepted"],
        written=written,
        load_avg=load_avg(),
        failures=result["failures"],
        failed_events=result["failed_events"],
        cpu_s={"collector": round(cpu, 2), "load_generator": round(result["cpu_s"], 2)},
    )


def _settled_end(settings: Settings, before: int, accepted: int, wait_s: float = 10.0) -> int:
    """The end offset once it reaches before + accepted, or after wait_s: records of a
    request that got 503 may still arrive a little later (they are then counted)."""
    deadline = time.monotonic() + wait_s
    end = topic_end(settings)
    while end < before + accepted and time.monotonic() < deadline:
        time.sleep(0.5)
        end = topic_end(settings)
    return end


def straight_to_kafka(settings: Settings, events: int) -> Round:
    """`rta generate --rate 0 --seed 1` of the same count to the scratch topic."""
    from rta.generator import GenerateOptions, generate

    before = topic_end(settings)
    options = GenerateOptions(topic=TOPIC, count=events, rate=0, seed=SEED, start=START)
    summary = generate(settings, options)
    if summary.error:
        sys.exit(f"bench: {summary.error}")
    return Round(
        side="generator",
        rate=summary.rate,  # until the final flush returned: delivered, not queued
        seconds=summary.elapsed_s,
        accepted=summary.sent,
        written=topic_end(settings) - before,
        load_avg=load_avg(),
    )


# --- results -----------------------------------------------------------------------


def result_record(
    rounds: list[Round], args: argparse.Namespace, load_before: list[float]
) -> dict[str, Any]:
    """The JSON record of a run: each side's best, and every round."""
    ours = max((r for r in rounds if r.side == "collector"), key=lambda r: r.rate)
    base = max((r for r in rounds if r.side == "generator"), key=lambda r: r.rate)
    mismatched = [r for r in rounds if r.side == "collector" and r.written != r.accepted]
    return {
        "name": "collector_http_ingest",
        "value": round(ours.rate),
        "unit": "events/s",
        "baseline": round(base.rate),
        "ratio": round(ours.rate / base.rate, 3) if base.rate else 0.0,
        "date": today(),
        "baseline_name": "rta generate --rate 0 straight to Kafka (same events, same topic)",
        "target": TARGET,
        "events": args.events,
        "batch": args.batch,
        "connections": args.connections,
        "form": args.form,
        "failed_requests": sum(sum(r.failures.values()) for r in rounds),
        "failed_events": sum(r.failed_events for r in rounds),
        "offsets_match": not mismatched,
        "load_avg_before": load_before,
        "load_avg": load_avg(),
        "machine": machine(),
        "runs": [
            {
                "side": r.side,
                "rate": round(r.rate),
                "seconds": round(r.seconds, 2),
                "accepted": r.accepted,
                "written": r.written,
                "failures": r.failures,
                "failed_events": r.failed_events,
                "cpu_s": r.cpu_s,
                "load_avg": r.load_avg,
            }
            for r in rounds
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Needs `make setup`; starts a private Kafka unless --use-running.",
    )
    parser.add_argument(
        "--events", type=int, default=500_000, help="events per run, each side (500,000)"
    )
    parser.add_argument("--batch", type=int, default=100, help="events per request (100)")
    parser.add_argument(
        "--connections", type=int, default=16, help="concurrent keep-alive connections (16)"
    )
    parser.add_argument(
        "--form",
        choices=["ndjson", "json"],
        default="ndjson",
        help="request bodies: NDJSON (what `rta generate --sink http` sends) or a JSON array",
    )
    parser.add_argument(
        "--rounds", type=int, default=2, help="alternating runs of each side; the best counts"
    )
    parser.add_argument(
        "--startup-timeout", type=float, default=60, help="seconds for the collector's /healthz"
    )
    parser.add_argument(
        "--use-running",
        action="store_true",
        help="use the running broker (RTA_* env / defaults) instead of a private one",
    )
    parser.add_argument("--keep", action="store_true", help="keep the private stack's state dir")
    args = parser.parse_args()

    load_before = load_avg()
    rounds: list[Round] = []
    with bench_stack(
        use_running=args.use_running,
        flink=False,
        pinot=False,
        submit_pipeline=False,
        keep=args.keep,
    ) as settings:
        scratch_topic(settings, TOPIC)
        try:
            with running_collector(settings, args.startup_timeout) as (url, key, proc):
                for i in range(1, args.rounds + 1):
                    # Alternate, and keep each side's best: on a shared machine a burst
                    # of someone else's work should not decide the ratio.
                    log(f"round {i}/{args.rounds}: {args.events:,} events through {url}")
                    rounds.append(through_collector(settings, url, key, proc, args))
                    _report(rounds[-1])
                    log(f"round {i}/{args.rounds}: {args.events:,} events straight to Kafka")
                    rounds.append(straight_to_kafka(settings, args.events))
                    _report(rounds[-1])
        finally:
            drop_topic(settings, TOPIC)
    record = result_record(rounds, args, load_before)
    path = write_results("collector", [record])
    ours, base = record["value"], record["baseline"]
    print(
        f"through the collector : {ours:>10,} events/s ({args.events:,} events, batches of "
        f"{args.batch}, {args.connections} connections, {args.form})"
    )
    print(f"straight to Kafka     : {base:>10,} events/s (rta generate --rate 0)")
    print(f"ratio                 : {record['ratio']:10.2f}")
    print(
        f"failures              : {record['failed_requests']:,} requests, "
        f"{record['failed_events']:,} events; topic offsets "
        f"{'match' if record['offsets_match'] else 'DO NOT match'} the accepted counts"
    )
    print(f"load average          : {record['load_avg_before']} -> {record['load_avg']}")
    verdict = "met" if ours >= TARGET and record["offsets_match"] else "NOT met"
    print(f"target (>= {TARGET:,} events/s through the collector): {verdict}")
    print(f"wrote {path}")


def _report(r: Round) -> None:
    extra = ""
    if r.side == "collector":
        extra = f", written {r.written:,}, failures {r.failures or 'none'}, CPU {r.cpu_s}"
    log(f"  {r.side}: {r.accepted:,} in {r.seconds:.1f} s = {r.rate:,.0f} events/s{extra}")


if __name__ == "__main__":
    main()
