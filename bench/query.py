"""Benchmark: latency of the dashboard's queries on Pinot with >= 5 million raw events.

Fills the pipeline with --rows generated events (default 5,000,000) stamped across the
last hour (simulated clock from now - 60 min, spread evenly), produced at full speed
into raw_events, through the Flink job, so that the result tables the dashboard reads
(active users per minute, product views per minute, sessions) hold that hour too; waits
until Pinot's raw_events COUNT(*) reaches the row count (reporting the ingest rate), then
runs each query --repeat times (default 200; fewer when they take longer than --budget
seconds, default 60, but at least 20) one after another and reports p50/p99 of the
client-side latency (HTTP round trip to the broker included).

The queries are exactly the dashboard's, at its defaults, from
rta.pinot.analytics.dashboard_queries (one definition shared with the page and `rta
report`): closed minutes, the open minute (DISTINCTCOUNT over raw_events), top products
and views by category over 15 minutes, the funnel over 15 minutes, revenue per minute
and recent sessions over the hour.

--no-flink produces straight into the topic Pinot's raw_events reads (no Flink job, as
this bench did before): quicker, but the result tables stay empty, so only the
raw_events queries (open minute, funnel, revenue) measure anything.

The baseline, measured in the same run, is `SELECT COUNT(*) FROM raw_events` (answered
from segment metadata: the broker/server round trip with no real work);
ratio = query p99 / baseline p99.

By default it starts a private stack on free ports; --use-running uses the stack from
RTA_* / defaults (its raw_events must not hold much else, or the wait for the row count
finishes early).

The queries ask about the hour the events fill, not the moment they run: until = the
end of the data's last full minute (1 ms before the newest event's minute), so the
open minute is a whole minute of rows (its worst case: it grows through the minute)
and the 15-minute panels the quarter hour before. Before timing, the bench waits for the
result tables to settle (row counts unchanged for 15 s) and then for the stack to go
quiet (CPU under --quiet-cpu percent over 5 s and a 1-minute load average under 1:
segment builds and commits done; after
--quiet-timeout it times anyway and records the CPU figure); a query that scans no
documents or returns no rows is a failure (exit 1): its latency would measure nothing.

--no-fill (with --use-running) measures a stack filled before, e.g. by an earlier run
on a stack of your own: `rta up --detach --no-generate`, then this bench with
--use-running, then again with --use-running --no-fill to time the queries again.

    .venv/bin/python bench/query.py
    .venv/bin/python bench/query.py --rows 20000000 --repeat 500

Target: p99 < 100 ms for each query. Writes bench/results/query.json.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _stack import bench_stack, load_avg, log, machine, percentile, today, write_results
from rta.generator import GenerateOptions, generate
from rta.pinot.analytics import dashboard_queries
from rta.pinot.query import PinotClient, PinotQueryError, QueryResult
from rta.settings import Settings
from rta.tables import RESULTS

TARGET_MS = 100.0
MINUTE_MS = 60_000


BASELINE_SQL = "SELECT COUNT(*) FROM raw_events"
SETTLE_S = 15.0


def count(pinot: PinotClient, table: str = "raw_events") -> int:
    try:
        return int(pinot.query(f"SELECT COUNT(*) FROM {table}").rows[0][0])
    except (PinotQueryError, IndexError):
        return 0


def newest_event_ms(pinot: PinotClient) -> int:
    rows = pinot.query("SELECT MAX(event_time_ms) FROM raw_events").rows
    return int(rows[0][0])


def wait_machine_quiet(max_busy_pct: float, timeout_s: float) -> float:
    """Waits until the machine's CPU use over 5 s falls under max_busy_pct and its
    1-minute load average under 1 (a fill leaves it high for minutes after the CPU
    calms down, and the timings then still share the cores); returns the last CPU
    figure (the measurement goes ahead after timeout_s, with the figures recorded)."""
    deadline = time.monotonic() + timeout_s
    while True:
        busy = psutil.cpu_percent(interval=5)
        load = load_avg()
        if (busy < max_busy_pct and load[0] < 1) or time.monotonic() > deadline:
            log(f"CPU {busy:.0f} % busy over 5 s before timing (load {load})")
            return busy
        log(f"CPU {busy:.0f} % busy, load {load[0]}: waiting for the stack to go quiet")


def settle_results(pinot: PinotClient, timeout_s: float) -> dict[str, int]:
    """Waits until every result table holds rows and none changed for SETTLE_S: the
    job writes them after raw_events (windows close on the watermark)."""
    deadline = time.monotonic() + timeout_s
    counts = {t.name: count(pinot, t.name) for t in RESULTS}
    stable_since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(5)
        now = {t.name: count(pinot, t.name) for t in RESULTS}
        if now != counts or not all(now.values()):
            counts, stable_since = now, time.monotonic()
        elif time.monotonic() - stable_since >= SETTLE_S:
            log(f"result tables settled: {counts}")
            return counts
    log(f"deadline: result tables still changing or empty: {counts}")
    return counts


def fill(
    settings: Settings, pinot: PinotClient, rows: int, timeout_s: float, through_flink: bool
) -> dict[str, float]:
    """Produces the events and waits for Pinot to hold them all."""
    before = count(pinot)
    now = time.time()
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 3600))
    # Simulated clock: step = speedup * 1000 / nominal rate ms; spread rows over 3,600 s.
    speedup = 3600.0 * settings.generator.rate / rows
    log(f"producing {rows:,} events stamped from {start} over one hour")
    t0 = time.monotonic()
    # Through the job (raw_events), so the result tables fill too; or straight into the
    # topic Pinot's raw_events reads (the job's accepted events), with no job at all.
    topic = settings.kafka.raw_topic if through_flink else settings.kafka.accepted_topic
    summary = generate(
        settings,
        GenerateOptions(
            count=rows,
            rate=0,
            seed=3,
            start=start,
            speedup=speedup,
            topic=topic,
        ),
    )
    if summary.error:
        sys.exit(f"bench: {summary.error}")
    produced_s = time.monotonic() - t0
    log(f"produced {summary.sent:,} in {summary.elapsed_s:.1f} s ({summary.rate:,.0f}/s)")
    target = before + summary.sent
    deadline = t0 + timeout_s
    last_log = 0.0
    n = before
    while time.monotonic() < deadline:
        n = count(pinot)
        if n >= target:
            break
        if time.monotonic() - last_log > 15:
            last_log = time.monotonic()
            el = time.monotonic() - t0
            log(f"pinot rows {n:,}/{target:,} after {el:.0f} s ({(n - before) / el:,.0f}/s)")
        time.sleep(1)
    ingest_s = time.monotonic() - t0
    if n < target:
        log(f"deadline: only {n:,} of {target:,} rows ingested; measuring anyway")
    log(f"pinot has {n:,} rows, {ingest_s:.0f} s after the first produce")
    return {
        "rows": n,
        "produced": summary.sent,
        "produce_rate": summary.rate,
        "produce_s": produced_s,
        "ingest_s": ingest_s,
        "ingest_rate": (n - before) / ingest_s,
    }


def measure(pinot: PinotClient, sql: str, repeat: int, budget_s: float) -> tuple[list[float], int]:
    """Up to `repeat` timed runs, fewer if they exceed budget_s (keeps the bench bounded)."""
    for _ in range(3):  # warm-up (plans, page cache)
        pinot.query(sql)
    times: list[float] = []
    server_ms = 0
    deadline = time.monotonic() + budget_s
    for _ in range(repeat):
        if len(times) >= 20 and time.monotonic() > deadline:
            break
        t = time.perf_counter()
        res = pinot.query(sql)
        times.append((time.perf_counter() - t) * 1000)
        server_ms += res.time_ms
    return times, server_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5_000_000, help="events in raw_events")
    parser.add_argument("--repeat", type=int, default=200, help="runs of each query")
    parser.add_argument(
        "--budget", type=float, default=60, help="max seconds per query (at least 20 runs)"
    )
    parser.add_argument("--ingest-timeout", type=float, default=1800, help="max wait for Pinot")
    parser.add_argument("--use-running", action="store_true", help="use the running stack")
    parser.add_argument("--keep", action="store_true", help="keep the private stack's state dir")
    parser.add_argument(
        "--no-flink",
        action="store_true",
        help="fill raw_events only, without the job (the result tables stay empty)",
    )
    parser.add_argument(
        "--tm-memory",
        default=None,
        help="TaskManager process size of the private stack (default: rta's); the job's "
        "de-duplication state of 5M events needs more than the default heap",
    )
    parser.add_argument(
        "--no-fill",
        action="store_true",
        help="produce nothing: time the queries over what raw_events holds (needs --use-running)",
    )
    parser.add_argument(
        "--quiet-cpu",
        type=float,
        default=25.0,
        help="wait until the machine's CPU use is under this percent before timing",
    )
    parser.add_argument(
        "--quiet-timeout", type=float, default=600, help="max seconds to wait for quiet"
    )
    args = parser.parse_args()
    if args.no_fill and not args.use_running:
        parser.error("--no-fill needs --use-running (a private stack starts empty)")
    # Before the private stack starts: a load >= 1 here means the machine was not quiet.
    load_before = load_avg()
    overrides = {"taskmanager_memory": args.tm_memory} if args.tm_memory else {}
    with bench_stack(
        use_running=args.use_running, flink=not args.no_flink, keep=args.keep, **overrides
    ) as settings:
        pinot = PinotClient(settings.pinot.broker, timeout_s=30)
        if args.no_fill:
            n = count(pinot)
            ingest = {"rows": n, "produced": 0, "produce_rate": 0.0, "produce_s": 0.0,
                      "ingest_s": 0.0, "ingest_rate": 0.0}  # fmt: skip
            log(f"measuring the {n:,} rows already in raw_events")
        else:
            ingest = fill(settings, pinot, args.rows, args.ingest_timeout, not args.no_flink)
        if not args.no_flink:
            settle_results(pinot, args.ingest_timeout)
        cpu_busy = wait_machine_quiet(args.quiet_cpu, args.quiet_timeout)
        load_at_start = load_avg()
        # The page's worst moment: "now" at the end of the data's last full minute, so
        # the open minute holds a whole minute of rows (the newest minute's rows, after
        # now, are outside every query's range).
        newest = newest_event_ms(pinot)
        now_ms = newest - newest % MINUTE_MS - 1
        stats: dict[str, dict[str, float]] = {}
        base, _ = measure(pinot, BASELINE_SQL, args.repeat, args.budget)
        b50, b99 = percentile(base, 50), percentile(base, 99)
        log(f"baseline COUNT(*): p50 {b50:.1f} ms p99 {b99:.1f} ms")
        differ: list[str] = []
        for name, sql in dashboard_queries(now_ms).items():
            res = pinot.query(sql)
            # The star-tree's pre-aggregates must give what the rows give.
            if not same_rows(res.rows, pinot.query(sql, options={"useStarTree": "false"}).rows):
                differ.append(name)
            times, server = measure(pinot, sql, args.repeat, args.budget)
            stats[name] = {
                "runs": len(times),
                "p50": percentile(times, 50),
                "p99": percentile(times, 99),
                "server_avg_ms": server / len(times),
                "rows_out": len(res.rows),
                "docs_scanned": res.stats.get("numDocsScanned", -1),
                "found_data": found_data(res),
            }
            log(
                f"{name}: {len(times)} runs, p50 {stats[name]['p50']:.1f} ms "
                f"p99 {stats[name]['p99']:.1f} ms "
                f"(docs scanned {stats[name]['docs_scanned']:,}, {len(res.rows)} rows)"
            )
        pinot.close()
    la = load_avg()
    common = {
        "date": today(),
        "load_avg_before": load_before,
        "load_avg": la,
        "machine": machine(),
        "rows": ingest["rows"],
        "repeat": args.repeat,
        "baseline_name": "SELECT COUNT(*) FROM raw_events (p99)",
        "through_flink": not args.no_flink,
        "cpu_busy_pct_at_start": round(cpu_busy, 1),
        "load_avg_at_start": load_at_start,
        "taskmanager_memory": settings.flink.taskmanager_memory,
        "state_backend": settings.flink.state_backend,
        "refilled": not args.no_fill,
    }
    ingest_records = (
        []
        if args.no_fill
        else [
            {
                "name": "pinot_ingest_rate",
                "value": round(ingest["ingest_rate"]),
                "unit": "rows/s",
                "baseline": round(ingest["produce_rate"]),
                "ratio": round(ingest["ingest_rate"] / ingest["produce_rate"], 3),
                "notes": "rows visible in Pinot / s from first produce; baseline = produce rate",
                **{k: round(v, 1) for k, v in ingest.items()},
                **common,
            },
        ]
    )
    results = [
        *ingest_records,
        {"name": "baseline_count_star_p50", "value": round(b50, 1), "unit": "ms",
         "baseline": round(b50, 1), "ratio": 1.0, **common},
    ]  # fmt: skip
    for name, s in stats.items():
        for p in ("p50", "p99"):
            b = b50 if p == "p50" else b99
            results.append(
                {
                    "name": f"{name}_{p}",
                    "value": round(s[p], 1),
                    "unit": "ms",
                    "baseline": round(b, 1),
                    "ratio": round(s[p] / b, 2),
                    "server_avg_ms": round(s["server_avg_ms"], 1),
                    "runs": s["runs"],
                    "docs_scanned": s["docs_scanned"],
                    "rows_out": s["rows_out"],
                    "found_data": s["found_data"],
                    "target_ms": TARGET_MS,
                    "sql": dashboard_queries(now_ms)[name],
                    **common,
                }
            )
    path = write_results("query", results)
    print(f"rows in raw_events : {ingest['rows']:,}")
    if not args.no_fill:
        print(
            f"ingest             : {ingest['ingest_rate']:,.0f} rows/s "
            f"(produce {ingest['produce_rate']:,.0f}/s)"
        )
    print(f"baseline COUNT(*)  : p50 {b50:6.1f} ms  p99 {b99:6.1f} ms")
    for name, s in stats.items():
        verdict = "met" if s["p99"] < TARGET_MS else "NOT met"
        print(
            f"{name:<28}: p50 {s['p50']:6.1f} ms  p99 {s['p99']:6.1f} ms  "
            f"(x{s['p99'] / b99:.1f} baseline p99; target < {TARGET_MS:.0f} ms {verdict})"
        )
    print(f"load average       : {la}")
    print(f"wrote {path}")
    if differ:
        sys.exit(f"bench: these queries answer differently without the star-tree: {differ}")
    empty = [n for n, s in stats.items() if not s["found_data"]]
    if empty and not args.no_flink:
        sys.exit(f"bench: these queries found no data, so their latency measures nothing: {empty}")


def found_data(res: QueryResult) -> bool:
    """Rows out, and rows read: scanned, or counted from segment metadata (a table's
    COUNT(*) and MAX(time) without a filter scan nothing)."""
    if not res.rows:
        return False
    if res.stats.get("numDocsScanned", -1) != 0:
        return True
    first = res.rows[0][0]
    return res.columns[0] == "count(*)" and isinstance(first, int | float) and first > 0


def same_rows(a: list[list[Any]], b: list[list[Any]]) -> bool:
    """Equal row for row, floats to 9 significant digits (sums in another order)."""

    def norm(rows: list[list[Any]]) -> list[list[Any]]:
        return sorted(([float(f"{v:.9g}") if isinstance(v, float) else v for v in r]
                       for r in rows), key=repr)  # fmt: skip

    return norm(a) == norm(b)


if __name__ == "__main__":
    main()
