"""Benchmark: how fast Pinot's raw_events takes in rows on its own, and where its time goes.

The query bench's fill measures Pinot's ingest with the Flink job beside it on the
same two cores (`pinot_ingest_rate`): the ceiling of the whole stack, not of Pinot.
This bench takes Flink out. It starts Kafka and Pinot only (no rta tables), writes
--rows records into the accepted topic first, shaped as the job writes them (the
generator's events with the event_time_ms and event_minute_ms the job adds), and
then, for each --variants entry (--rounds times, alternating), creates a copy of
raw_events (same schema, same table config but for what the variant changes, its own
name) and times it from the creation call until COUNT(*) reaches --rows: every row
decoded, transformed, de-duplicated, indexed, and every full segment built and
committed on the way. It then drops that copy and waits for the server to go quiet before the next.

Variants (what each changes in raw_events.table.json):
  shipped     nothing: the table rta creates
  flush-4x    realtime.segment.flush.threshold.rows four times larger (a quarter of
              the segment builds and commits)
  no-dedup    no dedupConfig (no primary-key map; duplicates would be kept)
  dedup-unhashed  dedup on the event_id itself (hashFunction NONE) instead of its MD5
  dedup-murmur3   dedup on the event_id's 128-bit Murmur3 (as compact as the MD5)
  no-indexes  no inverted, range, bloom or star-tree index, no sorted column
  fewer-dictionaries  no dictionary for the columns no dashboard query groups or
              filters by (urls, location, product name, order id, the amounts)

The baseline, measured in the same run on the same records: Kafka's own
ConsumerPerformance reading them (fetch only, no decoding), i.e. what a consumer of
this broker gets on this machine. ratio = Pinot rows/s / ConsumerPerformance records/s.

With --profile each variant's ingest is recorded with JFR on the Pinot process and
summarised per thread (a consuming partition's thread also builds and commits its
segments, so its share covers both) and by method for the busiest threads.

    .venv/bin/python bench/ingest.py
    .venv/bin/python bench/ingest.py --rows 2000000 --variants shipped,flush-4x --profile

Target (issue 15): >= 150,000 rows/s sustained over 5M rows. Writes
bench/results/ingest.json.
"""

from __future__ import annotations

import argparse
import calendar
import copy
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _profile
from _stack import (
    bench_stack,
    cpu_by_thread_class,
    kafka_tool,
    load_avg,
    log,
    machine,
    thread_times,
    today,
    write_results,
)
from query import count
from rta.generator.api import GenerateOptions, generator_config, make_clock
from rta.generator.engine import EventStream
from rta.kafka.client import make_producer, produce_waiting, timed_flush
from rta.layout import Layout
from rta.pinot.admin import PinotAdmin, render_tables
from rta.pinot.query import PinotClient
from rta.settings import Settings
from rta.stack.process import PidFile

TARGET_ROWS_S = 150_000
BATCH = 10_000
QUIET_CPU_PCT = 10.0


Variant = Callable[[dict[str, Any]], None]


def _flush_4x(table: dict[str, Any]) -> None:
    streams = table["tableIndexConfig"]["streamConfigs"]
    key = "realtime.segment.flush.threshold.rows"
    streams[key] = str(int(streams[key]) * 4)


def _no_dedup(table: dict[str, Any]) -> None:
    table.pop("dedupConfig", None)


def _dedup_unhashed(table: dict[str, Any]) -> None:
    table["dedupConfig"]["hashFunction"] = "NONE"


def _dedup_murmur3(table: dict[str, Any]) -> None:
    table["dedupConfig"]["hashFunction"] = "MURMUR3"


def _no_indexes(table: dict[str, Any]) -> None:
    for key in (
        "sortedColumn",
        "invertedIndexColumns",
        "rangeIndexColumns",
        "bloomFilterColumns",
        "starTreeIndexConfigs",
    ):
        table["tableIndexConfig"].pop(key, None)


# raw_events' columns that no dashboard query groups or filters by and that have many
# distinct values: a dictionary costs a lookup per row while consuming and a sort at
# every segment build, and saves nothing for a column only read or summed.
RAW_COLUMNS = ("page_url", "referrer_url", "location", "product_name", "order_id",
               "time_spent", "price", "total_amount")  # fmt: skip


def _fewer_dictionaries(table: dict[str, Any]) -> None:
    config = table["tableIndexConfig"]
    config["noDictionaryColumns"] = [*config.get("noDictionaryColumns", []), *RAW_COLUMNS]


VARIANTS: dict[str, Variant] = {
    "shipped": lambda table: None,
    "flush-4x": _flush_4x,
    "no-dedup": _no_dedup,
    "dedup-unhashed": _dedup_unhashed,
    "dedup-murmur3": _dedup_murmur3,
    "no-indexes": _no_indexes,
    "fewer-dictionaries": _fewer_dictionaries,
}


# --- The records: the generator's events as the Flink job writes them ----------------

_TS = re.compile(r'"event_timestamp":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{3})Z"')


def job_shaped(value: str, seconds: dict[str, int]) -> str:
    """A generator event with the two fields the job adds (its parsed event time and
    minute), as raw_events reads them from the accepted topic: Pinot's own transforms
    then skip those columns, as they do for the job's records."""
    m = _TS.search(value)
    if m is None:
        raise ValueError(f"no millisecond UTC event_timestamp in {value[:120]}")
    second = m.group(1)
    epoch = seconds.get(second)
    if epoch is None:
        epoch = seconds[second] = calendar.timegm(time.strptime(second, "%Y-%m-%dT%H:%M:%S"))
    ms = epoch * 1000 + int(m.group(2))
    return f'{value[:-1]},"event_time_ms":{ms},"event_minute_ms":{ms - ms % 60_000}}}'


def fill_topic(settings: Settings, rows: int) -> float:
    """Writes `rows` job-shaped records (keyed by session) to the accepted topic; returns
    records/s. A clean run of the generator: no invalid records, no duplicates."""
    options = GenerateOptions(rate=0, seed=3, start="2026-12-01T00:00:00Z", speedup=1.0)
    stream = EventStream(
        generator_config(settings, options), make_clock(options, 0, settings.generator.rate)
    )
    producer = make_producer(settings)
    topic = settings.kafka.accepted_topic
    seconds: dict[str, int] = {}
    t0 = last = time.monotonic()
    sent = 0
    while sent < rows:
        values, keys = stream.next_batch(min(BATCH, rows - sent))
        for value, key in zip(values, keys, strict=True):
            produce_waiting(producer, topic, job_shaped(value, seconds), key)
        sent += len(values)
        producer.poll(0)
        if time.monotonic() - last > 15:
            last = time.monotonic()
            log(f"written {sent:,}/{rows:,} ({sent / (last - t0):,.0f}/s)")
    if sent != rows:  # a clean stream gives exactly what it is asked for
        sys.exit(f"bench: the generator gave {sent:,} records for {rows:,}")
    left, _ = timed_flush(producer, 120)
    if left:
        sys.exit(f"bench: {left:,} records not delivered to {topic}")
    rate = rows / (time.monotonic() - t0)
    log(f"wrote {rows:,} records to {topic} at {rate:,.0f}/s")
    return rate


# --- The baseline -------------------------------------------------------------------------


def consumer_performance(settings: Settings, rows: int) -> dict[str, float]:
    """Kafka's ConsumerPerformance reading the same records from the start, with the
    isolation level raw_events' consumer uses."""
    args = [
        "--bootstrap-server", settings.kafka.bootstrap,
        "--topic", settings.kafka.accepted_topic,
        "--num-records", str(rows),
        "--group", f"rta-bench-ingest-{time.time_ns()}",
        "--command-property", "isolation.level=read_committed",
        "--timeout", "60000",
    ]  # fmt: skip
    stdout = kafka_tool(settings, "ConsumerPerformance", args, timeout_s=900)
    # Header, then one CSV line: start, end, MB, MB/s, records, records/s, rebalance ms,
    # fetch ms, fetch MB/s, fetch records/s.
    lines = [line for line in stdout.splitlines() if line.count(",") >= 9]
    if len(lines) < 2:
        sys.exit(f"bench: no summary in ConsumerPerformance output:\n{stdout[-2000:]}")
    cells = [c.strip() for c in lines[-1].split(",")]
    result = {
        "records": float(cells[4]),
        "records_s": float(cells[5]),
        "rebalance_ms": float(cells[6]),
        "fetch_records_s": float(cells[9]),
    }
    if result["records"] < rows:
        sys.exit(f"bench: ConsumerPerformance read {result['records']:,.0f} of {rows:,} records")
    return result


# --- One variant --------------------------------------------------------------------------


def variant_table(settings: Settings, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """raw_events' schema and table config as rta renders them, renamed for `name` and
    changed as the variant says."""
    raw = next(t for t in render_tables(settings) if t.name == "raw_events")
    table_name = "ingest_" + name.replace("-", "_")
    schema = {**copy.deepcopy(raw.schema), "schemaName": table_name}
    table = copy.deepcopy(raw.table)
    table["tableName"] = table_name
    table["segmentsConfig"]["schemaName"] = table_name
    VARIANTS[name](table)
    return schema, table


def consumer_thread(thread: str) -> str:
    """A consuming segment's thread is named after the segment (table__partition__
    sequence__time): one row per partition, whatever segment it is on."""
    return re.sub(r"__(\d+)__\d+__\d{8}T\d{4}Z$", r" partition \1", thread)


def wait_process_quiet(proc: psutil.Process, timeout_s: float = 300) -> float:
    """Waits until the Pinot process uses under QUIET_CPU_PCT of a core over 5 s (the
    dropped table's segments unloaded, nothing building); returns that figure."""
    deadline = time.monotonic() + timeout_s
    while True:
        busy = proc.cpu_percent(interval=5)
        if busy < QUIET_CPU_PCT or time.monotonic() > deadline:
            return busy


def run_variant(
    settings: Settings, name: str, rows: int, timeout_s: float, profile: bool
) -> dict[str, Any]:
    schema, table = variant_table(settings, name)
    table_name = table["tableName"]
    proc = PidFile(Layout(settings.state_dir).pid_file("pinot")).process()
    if proc is None:
        sys.exit("bench: the Pinot process is not running")
    quiet = wait_process_quiet(proc)
    log(f"{name}: Pinot at {quiet:.0f} % of a core before the start")
    recording = Path(tempfile.gettempdir()) / f"rta-ingest-{name}.jfr"
    profiling = profile and _profile.available()
    if profiling:
        _profile.start(proc.pid, recording)
    pinot = PinotClient(settings.pinot.broker, timeout_s=30)
    cpu0 = sum(proc.cpu_times()[:2])
    threads0 = thread_times(proc.pid)
    with PinotAdmin(settings.pinot.controller, timeout_s=30) as admin:
        admin.apply_schema(schema)
        t0 = time.monotonic()
        admin.apply_table(table, None)
        n, first_row_s, last = 0, None, t0
        deadline = t0 + timeout_s
        while n < rows and time.monotonic() < deadline:
            time.sleep(0.5)
            n = count(pinot, table_name)
            if n and first_row_s is None:
                first_row_s = time.monotonic() - t0
            if time.monotonic() - last > 15:
                last = time.monotonic()
                el = last - t0
                log(f"{name}: {n:,}/{rows:,} rows after {el:.0f} s ({n / el:,.0f}/s)")
        seconds = time.monotonic() - t0
        cpu_s = sum(proc.cpu_times()[:2]) - cpu0
        threads = cpu_by_thread_class(threads0, thread_times(proc.pid))
        segments = admin.request("GET", f"/segments/{table_name}", what="listing segments")
        result: dict[str, Any] = {
            "variant": name,
            "table": table_name,
            "rows": n,
            "seconds": round(seconds, 1),
            "rate": round(n / seconds),
            "timed_out": n < rows,
            "first_row_s": None if first_row_s is None else round(first_row_s, 1),
            "pinot_cpu_pct_before": round(quiet, 1),
            "cpu_us_per_row": round(cpu_s * 1e6 / max(n, 1), 1),
            "gc_us_per_row": round(threads["gc"] * 1e6 / max(n, 1), 1),
            "jit_us_per_row": round(threads["jit"] * 1e6 / max(n, 1), 1),
            # Every segment but the partitions' consuming ones was built and committed.
            "segments": sum(len(s.get("REALTIME", [])) for s in segments),
            "flush_rows": int(table["tableIndexConfig"]["streamConfigs"][
                "realtime.segment.flush.threshold.rows"]),
        }  # fmt: skip
        if profiling:
            _profile.stop(proc.pid)
            result["profile"] = _profile.summarise(
                recording, thread_name=consumer_thread, threads=2
            )
            recording.unlink(missing_ok=True)
        log(
            f"{name}: {n:,} rows in {seconds:.1f} s = {result['rate']:,} rows/s, "
            f"{result['cpu_us_per_row']} µs of Pinot CPU per row "
            f"({result['gc_us_per_row']} in GC threads)"
            + (" (TIMED OUT)" if result["timed_out"] else "")
        )
        admin.request("DELETE", f"/tables/{table_name}?type=realtime", what="dropping the table")
    pinot.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5_000_000, help="records to ingest")
    parser.add_argument(
        "--variants",
        default=",".join(VARIANTS),
        help=f"comma-separated, in this order (default: all): {', '.join(VARIANTS)}",
    )
    parser.add_argument(
        "--rounds", type=int, default=2, help="alternating runs of each variant; the best counts"
    )
    parser.add_argument("--timeout", type=float, default=1200, help="max seconds per run")
    parser.add_argument("--profile", action="store_true", help="JFR profile of each variant")
    args = parser.parse_args()
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variants {unknown}; known: {', '.join(VARIANTS)}")
    # Before anything of ours runs: a load >= 1 here means the machine was not quiet.
    load_before = load_avg()
    log(f"load before: {load_before}")
    with bench_stack(use_running=False, flink=False, tables=False) as settings:
        produce_rate = fill_topic(settings, args.rows)
        base = consumer_performance(settings, args.rows)
        log(
            f"ConsumerPerformance: {base['records_s']:,.0f} records/s "
            f"({base['fetch_records_s']:,.0f}/s fetching, {base['rebalance_ms']:,.0f} ms joining)"
        )
        # Alternating, so that no variant alone pays for the JIT warming up or gains
        # from a quieter minute.
        runs = [
            run_variant(settings, v, args.rows, args.timeout, args.profile)
            for _ in range(args.rounds)
            for v in variants
        ]
    la = load_avg()
    log(f"load after: {la}")
    common = {
        "date": today(),
        "load_avg_before": load_before,
        "load_avg": la,
        "machine": machine(),
        "rows": args.rows,
        "produce_rate": round(produce_rate),
        "baseline_name": "Kafka ConsumerPerformance, same records (records/s)",
        "baseline_detail": {k: round(v) for k, v in base.items()},
        "pinot_heap": settings.pinot.heap,
        "segment_builds": settings.pinot.segment_builds,
        "partitions": settings.kafka.partitions,
    }
    records = []
    for v in variants:
        mine = [run for run in runs if run["variant"] == v]
        best = max(mine, key=lambda run: run["rate"])
        records.append(
            {
                "name": f"pinot_ingest_{v.replace('-', '_')}",
                "value": best["rate"],
                "unit": "rows/s",
                "baseline": round(base["records_s"]),
                "ratio": round(best["rate"] / base["records_s"], 3),
                **({"target": TARGET_ROWS_S} if v == "shipped" else {}),
                "variant": v,
                "statistic": f"best of {len(mine)} runs",
                "runs": mine,
                **common,
            }
        )
    path = write_results("ingest", records)
    print(f"records            : {args.rows:,} (written at {produce_rate:,.0f}/s)")
    print(f"ConsumerPerformance: {base['records_s']:>10,.0f} records/s")
    for r in records:
        rates = ", ".join(f"{run['rate']:,}" for run in r["runs"])
        cpu = ", ".join(str(run["cpu_us_per_row"]) for run in r["runs"])
        print(
            f"{r['variant']:<19}: {r['value']:>10,} rows/s  (x{r['ratio']:.3f} baseline; "
            f"runs {rates} rows/s; {cpu} µs CPU/row)"
        )
    print(f"load average       : {load_before} -> {la}")
    print(f"wrote {path}")
    if any(run["timed_out"] for run in runs):
        sys.exit("bench: a variant did not ingest every row in time (see above)")


if __name__ == "__main__":
    main()
