"""Benchmark: what the pipeline's source costs per record, step by step.

The source vertex is the job's busiest (bench/pipeline.py): it decodes JSON, checks
the contract and computes the event time, once for the watermark (pushed into the
source) and once for the rows. This bench runs the source alone into Flink's
blackhole sink over the same --events records, one job per variant, alternating
over --rounds, so each step's cost is a difference between two rates measured in
the same run:

    json          decode every field (what every variant pays)
    json-node     the same through the JSON format's older JsonNode decoder
                  ('json.decode.json-parser.enabled' = 'false')
    sql-contract  + the contract check in SQL's own functions (REGEXP for ids and
                  timestamps, SUBSTR for the calendar), as a watermarked event
                  time of 0: the pipeline before rta's functions
    contract      the same with rta's functions (15-functions.sql), as the
                  pipeline checks it
    sql-event-time  + the event time by UNIX_TIMESTAMP, REGEXP_REPLACE and
                  REGEXP_EXTRACT, on top of sql-contract
    event-time    + the event time as the pipeline computes it (20-tables.sql:
                  RTA_EPOCH_MS), on top of contract

events/s = events / (time the source's counter reached --events - time it first
moved), from Flink's REST metrics every 0.25 s. The TaskManager's CPU time per record
(its process's user + system time over the run) is recorded too, and is the steadier
of the two: the rate is only known to about a second. Kafka and Flink only, private
stack.

    .venv/bin/python bench/source.py --events 2000000 --rounds 2
    .venv/bin/python bench/source.py --profile contract   # + where the check's CPU goes

Writes bench/results/source.json; the baseline of each figure is `json`.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import uuid
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _profile
from _stack import (
    RESULTS,
    bench_stack,
    cancel_active_jobs,
    cpu_seconds,
    load_avg,
    log,
    machine,
    taskmanager_process,
    today,
    write_results,
)
from rta.generator import GenerateOptions, generate
from rta.kafka.client import make_admin
from rta.pipeline.contract import contract_rules, violation_sql
from rta.pipeline.gateway import SqlGateway
from rta.pipeline.jobs import FlinkRest
from rta.pipeline.script import render, split_statements
from rta.settings import Settings

START = "2026-01-01T00:00:00Z"
POLL_S = 0.25

# The event time as the pipeline computed it before rta's functions (15-functions.sql),
# in SQL's own functions: UNIX_TIMESTAMP applies the offset (whole seconds), the
# fraction is added back as milliseconds. Kept to measure the functions against.
SQL_EVENT_TIME = """TO_TIMESTAMP_LTZ(
      UNIX_TIMESTAMP(REGEXP_REPLACE(event_timestamp, '\\.[0-9]+', ''), 'yyyy-MM-dd''T''HH:mm:ssXXX') * 1000
        + CAST(SUBSTR(RPAD(COALESCE(REGEXP_EXTRACT(event_timestamp, '\\.([0-9]+)', 1), ''), 3, '0'), 1, 3) AS BIGINT),
      3)"""  # noqa: E501


# The seed's fields as the pipeline's source declares them (20-tables.sql; a unit test
# holds that file to the contract): the contract's fields plus the discriminator.
_FIELD_TYPES = [("event_type", "STRING")] + [
    (f.name, f.sql_type) for f in contract_rules().all_fields
]
FIELDS = ", ".join(f"{name} {sql_type}" for name, sql_type in _FIELD_TYPES)
COLUMNS = ", ".join(name for name, _ in _FIELD_TYPES)


def pipeline_event_time() -> str:
    """The THEN branch of event_ts in the pipeline's 20-tables.sql, as it is today."""
    text = resources.files("rta.pipeline").joinpath("sql", "20-tables.sql").read_text()
    m = re.search(
        r"event_ts AS CASE\s+WHEN \(\$\{contract_violation\}\) IS NULL\s+THEN (.*?)\n  END,",
        text,
        re.S,
    )
    if m is None:
        sys.exit("bench: event_ts not found in 20-tables.sql")
    return m.group(1)


def variant_sql(settings: Settings, variant: str, group: str) -> list[str]:
    k = settings.kafka
    event_time = {
        "sql-contract": "TO_TIMESTAMP_LTZ(0, 3)",
        "contract": "TO_TIMESTAMP_LTZ(0, 3)",
        "sql-event-time": SQL_EVENT_TIME,
        "event-time": pipeline_event_time(),
    }.get(variant)
    extra = ""
    violation = violation_sql(functions=not variant.startswith("sql-"))
    if event_time is not None:
        extra = (
            f",\n  event_ts AS CASE WHEN ({violation}) IS NULL THEN {event_time} END,\n"
            "  WATERMARK FOR event_ts AS event_ts - INTERVAL '5' SECOND"
        )
    options = ""
    if variant == "json-node":
        options = ",\n  'json.decode.json-parser.enabled' = 'false'"
    select = COLUMNS + (", event_ts" if event_time is not None else "")
    sink_cols = FIELDS + (", event_ts TIMESTAMP_LTZ(3)" if event_time is not None else "")
    return [
        # The pipeline's CREATE FUNCTION statements, split as the pipeline's are.
        *split_statements(render(settings, ("15-functions.sql",))),
        f"SET 'parallelism.default' = '{settings.flink.parallelism}'",
        "SET 'pipeline.object-reuse' = 'true'",
        "SET 'table.local-time-zone' = 'UTC'",
        f"SET 'pipeline.name' = 'rta-bench-source-{variant}'",
        f"""CREATE TABLE src ({FIELDS}{extra}) WITH (
  'connector' = 'kafka', 'topic' = '{k.raw_topic}',
  'properties.bootstrap.servers' = '{k.bootstrap}', 'properties.group.id' = '{group}',
  'scan.startup.mode' = 'earliest-offset', 'format' = 'json',
  'json.ignore-parse-errors' = 'true'{options})""",
        f"CREATE TABLE sink ({sink_cols}) WITH ('connector' = 'blackhole')",
        f"INSERT INTO sink SELECT {select} FROM src",
    ]


def _source_records_out(rest: FlinkRest, job_id: str, vertices: list[dict[str, Any]]) -> int:
    """Records the source operator has emitted, summed over subtasks. The source and
    the blackhole sink are one chained vertex, so the vertex counters stay 0."""
    if not vertices:
        return 0
    vid = vertices[0]["id"]
    # Listed per subtask ("0.Source__src[1].numRecordsOut"); aggregated without the index.
    names = [
        m["id"].split(".", 1)[1]
        for m in rest.request("GET", f"/jobs/{job_id}/vertices/{vid}/metrics")
        if "." in m["id"]
    ]
    out = [n for n in names if n.startswith("Source__") and n.endswith(".numRecordsOut")]
    if not out:
        return 0
    metrics = rest.subtask_metrics(job_id, vid, [quote(out[0], safe="")], agg="sum")
    return int(float(metrics[0].get("sum", 0))) if metrics else 0


def run_once(
    settings: Settings, variant: str, events: int, timeout_s: float, profile: bool = False
) -> dict[str, Any]:
    group = f"rta-bench-source-{uuid.uuid4().hex[:8]}"
    cancel_active_jobs(settings)
    gateway = SqlGateway(settings.flink.gateway)
    try:
        results = gateway.run_script(variant_sql(settings, variant, group), {})
    finally:
        gateway.close()
    job_id = next((r.job_id for r in reversed(results) if r.job_id), None)
    if job_id is None:
        sys.exit(f"bench: {variant}: no job started")
    # CPU of the TaskManager over the run: steadier than the rate, which the
    # JobManager's once-a-second metrics make uncertain by about a second.
    tm = taskmanager_process(settings)
    cpu_before = cpu_seconds(tm)
    recording = RESULTS / f"source-{variant}.jfr"
    profiling = profile and tm is not None and _profile.available()
    if profiling:
        _profile.start(tm.pid, recording)  # type: ignore[union-attr]
    summary: dict[str, Any] | None = None
    rest = FlinkRest(settings.flink.url)
    first_t: float | None = None
    last_zero_t = time.monotonic()
    read = 0
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            now = time.monotonic()
            job = rest.job(job_id)
            if job["state"] in ("FAILED", "CANCELED"):
                sys.exit(f"bench: {variant}: job {job['state']}")
            read = _source_records_out(rest, job_id, job.get("vertices", []))
            if read == 0:
                last_zero_t = now
            elif first_t is None:
                first_t = (last_zero_t + now) / 2
            if read >= events:
                break
            if now > deadline:
                sys.exit(f"bench: {variant}: {read:,} of {events:,} records in {timeout_s:.0f} s")
            time.sleep(POLL_S)
        assert first_t is not None
        seconds = time.monotonic() - first_t
        cpu_after = cpu_seconds(tm)
        cpu_s = cpu_after - cpu_before if cpu_after is not None and cpu_before is not None else None
    finally:
        if profiling:
            _profile.stop(tm.pid)  # type: ignore[union-attr]
        rest.cancel(job_id)
        rest.close()
        cancel_active_jobs(settings)
        admin = make_admin(settings)
        for fut in admin.delete_consumer_groups([group]).values():
            fut.exception()
    if profiling:
        summary = _profile.summarise(recording, folded=RESULTS / f"source-{variant}.folded")
        recording.unlink(missing_ok=True)
        hot = summary["hottest"][0]
        log(f"   self time in {hot['thread'][:70]}:")
        for m in hot["self"][:10]:
            log(f"      {m['share']:6.1%}  {m['method']}")
    rate = events / seconds
    cpu_us = cpu_s / events * 1e6 if cpu_s is not None else None
    log(
        f"{variant:>18}: {events:,} records in {seconds:.1f} s = {rate:,.0f}/s"
        + (f", TaskManager CPU {cpu_us:.2f} us/record" if cpu_us is not None else "")
    )
    return {
        "variant": variant,
        "rate": round(rate),
        "seconds": round(seconds, 2),
        "cpu_us_per_event": round(cpu_us, 3) if cpu_us is not None else None,
        "profile": summary,
    }


VARIANTS = ("json", "json-node", "sql-contract", "contract", "sql-event-time", "event-time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument(
        "--rounds", type=int, default=2, help="rounds over all variants; best counts"
    )
    parser.add_argument("--timeout", type=float, default=300, help="max seconds per run")
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument(
        "--profile",
        choices=VARIANTS,
        default=None,
        help="record this variant's last round with JFR: where the TaskManager's CPU went, "
        "and its busiest thread as a flame graph (bench/results/source-<variant>.folded)",
    )
    args = parser.parse_args()
    load_before = load_avg()
    runs: list[dict[str, Any]] = []
    with bench_stack(use_running=False, pinot=False, submit_pipeline=False) as settings:
        log(f"producing {args.events:,} events into {settings.kafka.raw_topic}")
        summary = generate(
            settings, GenerateOptions(count=args.events, rate=0, seed=1, start=START)
        )
        if summary.error or summary.sent != args.events:
            sys.exit(f"bench: produced {summary.sent:,} of {args.events:,}: {summary.error}")
        for round_ in range(args.rounds):
            last_round = round_ == args.rounds - 1
            for variant in args.variants:
                runs.append(
                    {
                        **run_once(
                            settings,
                            variant,
                            args.events,
                            args.timeout,
                            profile=variant == args.profile and last_round,
                        ),
                        "load_avg": load_avg(),
                    }
                )
    best = {v: max(r["rate"] for r in runs if r["variant"] == v) for v in args.variants}
    cpu = {
        v: min((r["cpu_us_per_event"] for r in runs if r["variant"] == v and r["cpu_us_per_event"]),
               default=None)
        for v in args.variants
    }  # fmt: skip
    base_cpu = cpu.get("json")
    base = best.get("json")
    la = load_avg()
    results = [
        {
            "name": f"source_{v.replace('-', '_')}",
            "value": rate,
            "unit": "events/s",
            "baseline": base,
            "baseline_name": "JSON decoding alone (variant json)",
            "ratio": round(rate / base, 3) if base else None,
            # CPU per record on top of decoding: 1/rate - 1/base, two cores in all.
            "us_per_event_over_json": round((1 / rate - 1 / base) * 1e6, 2) if base else None,
            # The TaskManager's CPU per record (best round), and over json's.
            "cpu_us_per_event": cpu[v],
            "cpu_us_over_json": round(cpu[v] - base_cpu, 3) if cpu[v] and base_cpu else None,
            "date": today(),
            "load_avg_before": load_before,
            "load_avg": la,
            "events": args.events,
            "parallelism": settings.flink.parallelism,
            "machine": machine(),
            "runs": [r for r in runs if r["variant"] == v],
        }
        for v, rate in best.items()
    ]
    path = write_results("source", results)
    for r in results:
        print(f"{r['name']:<26} {r['value']:>9,} events/s  ratio {r['ratio']}  "
              f"+{r['us_per_event_over_json']} us/event over json; "
              f"TaskManager CPU {r['cpu_us_per_event']} us/record "
              f"(+{r['cpu_us_over_json']} over json)")  # fmt: skip
    print(f"load average: {load_before} -> {la}")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
