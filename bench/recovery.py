"""Benchmark: how long each fault keeps the results from being complete, and whether a
reader saw wrong numbers meanwhile.

For each fault (and once without one, the baseline) the same kind of stream is produced
live at --rate events/s into its own event-time range: --events generated events with
late events and duplicates. A third of the way in, the fault strikes (SIGKILL of the
TaskManager, the JobManager, the Kafka broker or the Pinot JVM) and rta's watch (what
`rta up` runs) brings the component back. Right after the last event a watermark flush
closes every window. Meanwhile every result row of the range (active users per minute,
product views per minute, sessions) is read from Pinot once a second.

Figures per fault:
- complete_s: seconds from the fault until the result tables hold their final rows (and
  keep them for --settle seconds). The baseline is the same figure of the run without a
  fault, from the same point of its stream, so ratio = how much longer the fault made
  readers wait for complete results. The producer waits while the watch restarts the
  component and then sends what came due meanwhile at once, as a shop's buffered
  clients would;
- recovery_s: seconds from the kill until the watch reported the component back;
- overshoot_rows: rows a reader saw with a count above its final value (something
  counted twice, then corrected); counts only grow when nothing goes wrong, so this
  must be 0;
- rows: result rows of the range at the end (the same for every run of one size).

A run that never completes within --timeout is a failure (exit 1), not a missing figure.

    .venv/bin/python bench/recovery.py
    .venv/bin/python bench/recovery.py --faults taskmanager,kafka --events 30000

Writes bench/results/recovery.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _stack import bench_stack, load_avg, log, machine, today, write_results
from rta.generator.chaos import Chaos
from rta.kafka.client import make_producer, produce_waiting
from rta.pinot.query import PinotClient
from rta.settings import Settings
from rta.stack import supervisor
from rta.testing import flush_events, generate_lines
from rta.watch import Watch

# fault name -> (component the watch restarts, process to kill)
FAULTS = {
    "taskmanager": ("flink", "flink-taskmanager"),
    "jobmanager": ("flink", "flink-jobmanager"),
    "kafka": ("kafka", "kafka"),
    "pinot": ("pinot", "pinot"),
}
STEP_MS = 40.0
FIRST_DAY = datetime(2032, 1, 1, tzinfo=UTC)

Rows = dict[tuple[Any, ...], tuple[Any, ...]]


def _lines(start: datetime, count: int, seed: int) -> list[tuple[bytes, bytes]]:
    sink, _ = generate_lines(
        count,
        seed=seed,
        start=start.isoformat().replace("+00:00", "Z"),
        step_ms=STEP_MS,
        chaos=Chaos(late_fraction=0.02, late_max_ms=4000, duplicate_fraction=0.02),
        users=250,
    )
    return [(line, json.loads(line)["session_id"].encode()) for line in sink.lines]


def _results(pinot: PinotClient, lo: int, hi: int) -> Rows:
    rows: Rows = {}
    for r in pinot.query(
        "SELECT window_start, active_users FROM active_users_per_minute "
        f"WHERE window_start BETWEEN {lo} AND {hi} LIMIT 100000"
    ).records():
        rows[("active", r["window_start"])] = (r["active_users"],)
    for r in pinot.query(
        "SELECT window_start, product_id, view_count FROM product_analytics_per_minute "
        f"WHERE window_start BETWEEN {lo} AND {hi} LIMIT 100000"
    ).records():
        rows[("product", r["window_start"], r["product_id"])] = (r["view_count"],)
    for r in pinot.query(
        "SELECT session_id, user_id, event_count, products_viewed, products_added_to_cart, "
        f"purchases_made FROM session_analytics WHERE session_start BETWEEN {lo} AND {hi} "
        "LIMIT 100000"
    ).records():
        rows[("session", r["session_id"], r["user_id"])] = (
            r["event_count"],
            r["products_viewed"],
            r["products_added_to_cart"],
            r["purchases_made"],
        )
    return rows


@dataclass(eq=False)  # a Thread must stay hashable
class Reader(threading.Thread):
    """Reads the range's result rows once a second, as a dashboard would."""

    settings: Settings
    lo: int
    hi: int
    snapshots: list[tuple[float, Rows]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        super().__init__(name="recovery-reader", daemon=True)

    def run(self) -> None:
        with PinotClient(self.settings.pinot.broker, timeout_s=10) as pinot:
            while not self.stop.is_set():
                # Pinot down or restarting: this second reads nothing.
                with contextlib.suppress(Exception):
                    self.snapshots.append((time.monotonic(), _results(pinot, self.lo, self.hi)))
                self.stop.wait(1.0)


def _kill(settings: Settings, component: str, process: str) -> None:
    comp = next(c for c in supervisor.components(settings) if c.name == component)
    proc = next(p for p in comp.processes() if p.name == process).process()
    if proc is None:
        sys.exit(f"bench: {process} is not running before the fault")
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)


def _recover(settings: Settings, component: str, timeout_s: float) -> None:
    said: list[str] = []
    watch = Watch(settings, said.append)
    deadline = time.monotonic() + timeout_s
    try:
        while not any(f"{component} is back" in s for s in said):
            if time.monotonic() > deadline:
                sys.exit(f"bench: {component} did not come back: {said}")
            watch.poll()
            time.sleep(0.5)
    finally:
        watch.close()
    log(said[-1])


def _flush(settings: Settings, producer: Any, at: datetime) -> None:
    for partition, key, record in flush_events(at, settings.kafka.partitions):
        producer.produce(settings.kafka.raw_topic, record, key, partition=partition)


def run_one(
    settings: Settings, fault: str | None, day: int, args: argparse.Namespace
) -> dict[str, Any]:
    start = FIRST_DAY + timedelta(days=day)
    lines = _lines(start, args.events, seed=day)
    lo = int(start.timestamp() * 1000)
    hi = lo + int(len(lines) * STEP_MS) + 60_000
    reader = Reader(settings, lo, hi)
    reader.start()
    producer = make_producer(settings)
    t0 = time.monotonic()
    killed_at = recovered_at = None
    struck_at = t0
    strike = len(lines) // 3
    for i, (line, key) in enumerate(lines):
        delay = t0 + i / args.rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        produce_waiting(producer, settings.kafka.raw_topic, line, key)
        producer.poll(0)
        if i == strike:
            struck_at = time.monotonic()  # the same point of the stream with no fault
            if fault:
                component, process = FAULTS[fault]
                killed_at = time.monotonic()
                _kill(settings, component, process)
                _recover(settings, component, args.timeout)
                recovered_at = time.monotonic()
    _flush(settings, producer, start + timedelta(milliseconds=len(lines) * STEP_MS + 120_000))
    if producer.flush(120) != 0:
        sys.exit("bench: records not delivered to Kafka")
    last_event_at = time.monotonic()
    # Complete = the rows stop changing for --settle seconds.
    deadline = last_event_at + args.timeout
    complete_at = None
    while time.monotonic() < deadline:
        time.sleep(1)
        snaps = [s for s in reader.snapshots if s[0] >= last_event_at]
        if not snaps:
            continue
        final_t, final = snaps[-1]
        same_since = final_t
        for t, rows in reversed(snaps):
            if rows != final:
                break
            same_since = t
        if final and final_t - same_since >= args.settle:
            complete_at = same_since
            break
    reader.stop.set()
    reader.join(5)
    name = fault or "no_fault"
    if complete_at is None:
        log(f"{name}: results never settled within {args.timeout:.0f} s")
        return {"fault": name, "complete_s": None}
    final = next(rows for t, rows in reader.snapshots if t >= complete_at)
    overshoot = {
        key
        for _, rows in reader.snapshots
        for key, value in rows.items()
        if key in final and value[0] > final[key][0]
    }
    out = {
        "fault": name,
        "complete_s": round(complete_at - struck_at, 1),
        "after_last_event_s": round(complete_at - last_event_at, 1),
        "recovery_s": round(recovered_at - killed_at, 1) if killed_at and recovered_at else None,
        "overshoot_rows": len(overshoot),
        "rows": len(final),
        "snapshots": len(reader.snapshots),
    }
    log(f"{name}: {out}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=16_000, help="events per run")
    parser.add_argument("--rate", type=float, default=800.0, help="events/s produced live")
    parser.add_argument(
        "--faults", default=",".join(FAULTS), help=f"comma-separated, of {', '.join(FAULTS)}"
    )
    parser.add_argument("--settle", type=float, default=20.0, help="s unchanged = complete")
    parser.add_argument("--timeout", type=float, default=420.0, help="max s per wait")
    parser.add_argument("--use-running", action="store_true", help="use the running stack")
    parser.add_argument("--keep", action="store_true", help="keep the private stack's state dir")
    args = parser.parse_args()
    faults = [f for f in args.faults.split(",") if f]
    unknown = [f for f in faults if f not in FAULTS]
    if unknown:
        parser.error(f"unknown fault(s) {unknown}; choose from {', '.join(FAULTS)}")
    load_before = load_avg()
    with bench_stack(use_running=args.use_running, keep=args.keep) as settings:
        # Day offsets from the clock, so that reruns on one stack never go behind its watermark.
        day0 = int(time.time() // 86400) % 1000 * 10
        base = run_one(settings, None, day0, args)
        runs = [run_one(settings, f, day0 + i + 1, args) for i, f in enumerate(faults)]
    common = {"date": today(), "load_avg_before": load_before, "load_avg": load_avg(),
              "machine": machine(), "events": args.events, "rate": args.rate,
              "settle_s": args.settle}  # fmt: skip
    records = []
    for r in runs:
        ok = r["complete_s"] is not None and base["complete_s"] is not None
        records.append(
            {
                "name": f"recovery_{r['fault']}",
                "value": r["complete_s"],
                "unit": "s",
                "baseline": base["complete_s"],
                "ratio": round(r["complete_s"] / base["complete_s"], 2)
                if ok and base["complete_s"]
                else None,
                "notes": "seconds from the fault until the results are final; "
                "baseline = the same point of a stream without a fault",
                **{k: v for k, v in r.items() if k not in ("fault", "complete_s")},
                **common,
            }
        )
    path = write_results("recovery", records)
    print(f"no fault: results final {base['complete_s']} s after the same point of the stream")
    for r in runs:
        print(
            f"{r['fault']:<12}: final {r['complete_s']} s after the kill; component back after "
            f"{r.get('recovery_s')} s; overshooting rows {r.get('overshoot_rows')}"
        )
    print(f"wrote {path}")
    failed = [r["fault"] for r in [base, *runs] if r["complete_s"] is None]
    if failed or any(r.get("overshoot_rows") for r in runs):
        sys.exit(f"bench: incomplete runs {failed} or rows counted above their final value")


if __name__ == "__main__":
    main()
