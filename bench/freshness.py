"""Benchmark: data freshness, produce -> visible in Pinot, under `make run`'s event rate.

With the generator producing --rate events/s (default: the generator's, 1,000, what
`make run` produces; real clock: events are stamped "now") into raw_events, this bench

1. produces --markers marker events (default 1,000; copies of a generated event with
   a known event_id and a current timestamp) spread evenly over the run (all but its
   last 30 s), and polls the broker every 50 ms with
   `SELECT event_id FROM raw_events WHERE event_id IN (<outstanding markers>)`;
   raw freshness = first seen - produce() call (includes the producer's 20 ms linger);
2. polls active_users_per_minute every 100 ms for windows that end during the run;
   window freshness = first seen - window_end (wall clock, because events carry the
   current time). Flink can close a window only once the watermark (max event time -
   watermark bound, 5 s by default) passes its end, so the bound is part of the figure.

A marker or window that never appears is a failure, not missing data: it enters the
percentiles with the time it had been outstanding when the run ended (a lower bound
of its freshness), and the results say how many were seen of how many expected. The
default run (660 s) sees at least 10 windows end, and raw_events commits its
consuming segments at least once while the markers flow (four partitions, one round,
at 1,000 events/s); the bench counts those commits (raw_events segments before and
after) and records them, so a p99 that never crossed a commit shows as such. A rate
the machine cannot sustain end to end measures the backlog instead: on 2 cores,
5,000 events/s saw none of its markers within the run.

Needs the full stack (Kafka, Pinot, Flink with the pipeline). By default it starts a
private one on free ports; --use-running uses the stack from RTA_* / defaults.

    .venv/bin/python bench/freshness.py                 # ~13 minutes in all
    .venv/bin/python bench/freshness.py --duration 1200 --markers 5000

Targets: raw p99 < 2 s; window p99 < watermark bound + 5 s. There is no engine
tool to compare against, so the baseline of each ratio is its target
(ratio = p99 / target; < 1 means met). Writes bench/results/freshness.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _stack import bench_stack, load_avg, log, machine, percentile, today, write_results
from rta.events import parse_event
from rta.generator import GenerateOptions, generate
from rta.kafka.client import make_producer
from rta.layout import Layout
from rta.pinot.query import PinotClient, PinotQueryError
from rta.settings import Settings
from rta.testing import generate_lines

RAW_TARGET_MS = 2000.0
MARKER_SESSIONS = 16


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _template() -> dict[str, Any]:
    sink, _ = generate_lines(1, seed=7, start="2026-01-01T00:00:00Z")
    return dict(json.loads(sink.lines[0]))


_LOG_TIME = re.compile(r"^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{3}) ")
_LOG_EVENT = re.compile(
    r"Stopping consumption|Successfully built segment|Committed segment|Starting consumption loop"
)
_SEGMENT = re.compile(r"\braw_events__(\d+)__(\d+)__")


def commit_stalls(log_lines: list[str]) -> list[dict[str, Any]]:
    """Each raw_events segment commit in a Pinot server log: how long its partition
    consumed nothing, from "Stopping consumption" (row or time limit) to the next
    segment's "Starting consumption loop", split into the segment's build and the
    commit (tar, upload to the controller, metadata) after it."""
    seen: dict[tuple[int, int], dict[str, float]] = {}
    for line in log_lines:
        time_m, event_m, segment_m = (
            _LOG_TIME.match(line),
            _LOG_EVENT.search(line),
            _SEGMENT.search(line),
        )
        if time_m is None or event_m is None or segment_m is None:
            continue
        at = dt.datetime.strptime(time_m.group(1), "%Y/%m/%d %H:%M:%S.%f").timestamp()
        event, partition, seq = event_m.group(0), int(segment_m.group(1)), int(segment_m.group(2))
        if event == "Starting consumption loop":
            seen.setdefault((partition, seq - 1), {}).setdefault("resumed", at)
        else:
            seen.setdefault((partition, seq), {}).setdefault(event, at)
    stalls = []
    for (partition, seq), t in sorted(seen.items()):
        stop, built = t.get("Stopping consumption"), t.get("Successfully built segment")
        committed, resumed = t.get("Committed segment"), t.get("resumed")
        if stop is None or built is None or committed is None or resumed is None:
            continue  # not a commit this log saw through
        stalls.append(
            {
                "segment": f"{partition}/{seq}",
                "stall_s": round(resumed - stop, 1),
                "build_s": round(built - stop, 1),
                "commit_s": round(committed - built, 1),
            }
        )
    return stalls


def _read_from(path: Path, offset: int) -> list[str]:
    if not path.exists():
        return []
    with path.open("rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", "replace").splitlines()


def segment_count(pinot: PinotClient) -> int:
    """raw_events' segments, consuming ones included: each commit adds one."""
    res = pinot.query(
        "SELECT $segmentName, COUNT(*) FROM raw_events GROUP BY $segmentName LIMIT 100000"
    )
    return len(res.rows)


def wait_for_pipeline(settings: Settings, pinot: PinotClient, timeout_s: float) -> None:
    """Until raw_events answers and the Flink job runs (a fresh stack needs a moment)."""
    from rta.pipeline.jobs import FlinkRest

    rest = FlinkRest(settings.flink.url)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            try:
                pinot.query("SELECT COUNT(*) FROM raw_events")
                job = rest.active_job()
                if job is not None and job.state == "RUNNING":
                    return
            except Exception:
                pass
            time.sleep(1)
    finally:
        rest.close()
    sys.exit("bench: the pipeline or Pinot did not become ready in time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rate",
        type=float,
        default=Settings().generator.rate,
        help="background events/s (default: the generator's, what `make run` produces)",
    )
    parser.add_argument("--markers", type=int, default=1000, help="marker events")
    parser.add_argument(
        "--duration", type=float, default=660, help="seconds of load (>= 10 windows end)"
    )
    parser.add_argument(
        "--warmup", type=float, default=20, help="seconds of load before the first marker"
    )
    parser.add_argument("--use-running", action="store_true", help="use the running stack")
    parser.add_argument("--keep", action="store_true", help="keep the private stack's state dir")
    args = parser.parse_args()
    # The markers span the run, so they cross the segment commits it holds; the last
    # 30 s leave the last markers time to arrive.
    markers_s = max(10.0, args.duration - 30)
    # Before the private stack starts: a load >= 1 here means the machine was not quiet.
    load_before = load_avg()
    with bench_stack(use_running=args.use_running, keep=args.keep) as settings:
        wm_bound_ms = settings.flink.watermark_bound_s * 1000
        window_target_ms = wm_bound_ms + 5000
        pinot = PinotClient(settings.pinot.broker, timeout_s=10)
        wait_for_pipeline(settings, pinot, 180)
        stop = threading.Event()
        gen_result: dict[str, Any] = {}

        def background() -> None:
            opts = GenerateOptions(rate=args.rate, duration_s=args.duration + 30)
            gen_result["summary"] = generate(settings, opts, stop=stop)

        gen = threading.Thread(target=background, daemon=True)
        gen.start()
        log(
            f"background load {args.rate:,.0f} events/s; {args.markers} markers over "
            f"{markers_s:.0f} s; run {args.duration:.0f} s"
        )
        template = _template()
        # Markers must pass the job's contract (ids are UUIDs) or they end up in the
        # dead-letter topic and never in raw_events: check one before the run.
        run_id = uuid.uuid4()
        sessions = [str(uuid.uuid5(run_id, f"session-{i}")) for i in range(MARKER_SESSIONS)]
        parse_event(dict(template, event_id=str(run_id), session_id=sessions[0]))
        producer = make_producer(settings)
        time.sleep(args.warmup)  # JIT, Pinot's first consuming segments, Flink's first checkpoint
        segments_before = segment_count(pinot)
        pinot_log = Layout(settings.state_dir).log_file("pinot")
        log_offset = pinot_log.stat().st_size if pinot_log.exists() else 0
        start_wall = time.time()
        t0 = time.monotonic()
        sent_at: dict[str, float] = {}  # marker id -> wall time of produce()
        seen_at: dict[str, float] = {}
        windows_seen: dict[int, float] = {}
        next_marker = 0
        interval = markers_s / args.markers
        next_raw_poll = next_win_poll = 0.0
        raw_queries: list[float] = []
        errors = 0
        end = t0 + args.duration
        raw_deadline = t0 + markers_s + 30
        while True:
            now = time.monotonic()
            if now >= end and (len(seen_at) == len(sent_at) or now >= raw_deadline):
                break
            # Markers due by now.
            while next_marker < args.markers and now - t0 >= next_marker * interval:
                mid = str(uuid.uuid5(run_id, f"marker-{next_marker}"))
                # Sessions (the records' key) spread the markers over every partition,
                # so each partition's segment commits show in the figures.
                session = sessions[next_marker % MARKER_SESSIONS]
                event = dict(template, event_id=mid, session_id=session, event_timestamp=_now_iso())
                producer.produce(
                    settings.kafka.raw_topic,
                    json.dumps(event, separators=(",", ":")),
                    session.encode(),
                )
                sent_at[mid] = time.time()
                next_marker += 1
            producer.poll(0)
            outstanding = [m for m in sent_at if m not in seen_at]
            if outstanding and now >= next_raw_poll:
                next_raw_poll = now + 0.05
                ids = ",".join(f"'{m}'" for m in outstanding[:500])
                q0 = time.monotonic()
                try:
                    res = pinot.query(
                        f"SELECT event_id FROM raw_events WHERE event_id IN ({ids}) LIMIT 1000"
                    )
                    t_seen = time.time()
                    raw_queries.append((time.monotonic() - q0) * 1000)
                    for (mid,) in res.rows:
                        seen_at.setdefault(mid, t_seen)
                except PinotQueryError:
                    errors += 1
            if now >= next_win_poll:
                next_win_poll = now + 0.1
                since = int(start_wall * 1000)
                try:
                    res = pinot.query(
                        "SELECT window_end FROM active_users_per_minute "
                        f"WHERE window_end > {since} LIMIT 100"
                    )
                    t_seen = time.time()
                    for (we,) in res.rows:
                        windows_seen.setdefault(int(we), t_seen)
                except PinotQueryError:
                    errors += 1
            time.sleep(0.01)
        loop_end_wall = time.time()
        segments_after = segment_count(pinot)
        stalls = commit_stalls(_read_from(pinot_log, log_offset))
        producer.flush(10)
        del producer  # before the stack stops, or librdkafka keeps reconnecting
        stop.set()
        gen.join(60)
        pinot.close()
    summary = gen_result.get("summary")
    produced_rate = summary.rate if summary else float("nan")
    # A marker never seen counts with the time it had been outstanding: at least that late.
    raw_ms = [(seen_at.get(m, loop_end_wall) - sent_at[m]) * 1000 for m in sent_at]
    missing = len(sent_at) - len(seen_at)
    # Worst raw freshness per 10 s of the marker phase: shows whether the tail is steady
    # or a few stalls (segment commits, GC, checkpoints).
    timeline: dict[int, int] = {}
    for m in seen_at:
        bucket = int((sent_at[m] - start_wall) // 10) * 10
        timeline[bucket] = max(timeline.get(bucket, 0), round((seen_at[m] - sent_at[m]) * 1000))
    # Windows that ended while the load ran (the first may be partly filled: its end
    # still closes by the same watermark rule).
    first_full = int(start_wall * 1000) + 1000
    # Windows that ended at least 15 s before the run stopped: a window never seen
    # counts with the time since its end (more than the target), like a lost marker.
    end_wall_ms = int(loop_end_wall * 1000)
    expected = range((first_full // 60000 + 1) * 60000, end_wall_ms - 15000, 60000)
    windows_missing = [w for w in expected if w not in windows_seen]
    win_ms = [
        (seen - we / 1000) * 1000 for we, seen in sorted(windows_seen.items()) if we >= first_full
    ] + [float(end_wall_ms - w) for w in windows_missing]
    commits = segments_after - segments_before
    all_win = {str(we): round((seen - we / 1000) * 1000) for we, seen in windows_seen.items()}
    la = load_avg()
    raw50, raw99 = percentile(raw_ms, 50), percentile(raw_ms, 99)
    w50, w99 = percentile(win_ms, 50), percentile(win_ms, 99)
    common = {
        "date": today(),
        "load_avg_before": load_before,
        "load_avg": la,
        "machine": machine(),
        "background_rate": args.rate,
        "background_rate_achieved": round(produced_rate),
        "duration_s": args.duration,
        "warmup_s": args.warmup,
    }
    results = [
        {"name": "raw_freshness_p50", "value": round(raw50), "unit": "ms",
         "baseline": RAW_TARGET_MS, "ratio": round(raw50 / RAW_TARGET_MS, 3), **common},
        {"name": "raw_freshness_p99", "value": round(raw99), "unit": "ms",
         "baseline": RAW_TARGET_MS, "ratio": round(raw99 / RAW_TARGET_MS, 3),
         "markers": len(sent_at), "markers_missing": missing,
         "segment_commits": commits, "commit_stalls": stalls,
         "raw_poll_query_ms_p50": round(percentile(raw_queries, 50), 1),
         "raw_max_ms_per_10s": {str(k): v for k, v in sorted(timeline.items())}, **common},
        {"name": "window_freshness_p50", "value": round(w50), "unit": "ms",
         "baseline": window_target_ms, "ratio": round(w50 / window_target_ms, 3), **common},
        {"name": "window_freshness_p99", "value": round(w99), "unit": "ms",
         "baseline": window_target_ms, "ratio": round(w99 / window_target_ms, 3),
         "windows": len(win_ms), "windows_seen": len(win_ms) - len(windows_missing),
         "windows_expected": len(expected), "watermark_bound_ms": wm_bound_ms,
         "all_windows_ms": all_win,
         "windows_missing": windows_missing, "query_errors": errors, **common},
    ]  # fmt: skip
    path = write_results("freshness", results)
    print(f"background load      : {produced_rate:,.0f} events/s (asked {args.rate:,.0f})")
    print(f"raw markers          : {len(seen_at)}/{len(sent_at)} seen")
    print(f"segment commits      : {commits} in raw_events while the markers flowed")
    for st in stalls:
        print(
            f"  partition/segment {st['segment']}: consumed nothing for {st['stall_s']} s "
            f"(build {st['build_s']} s, commit {st['commit_s']} s)"
        )
    print(
        f"raw freshness        : p50 {raw50:7.0f} ms  p99 {raw99:7.0f} ms  "
        f"(target p99 < {RAW_TARGET_MS:.0f} ms; ratio {raw99 / RAW_TARGET_MS:.2f})"
    )
    print(
        f"window freshness     : p50 {w50:7.0f} ms  p99 {w99:7.0f} ms  over {len(win_ms)} "
        f"windows, {len(windows_missing)} never seen (target p99 < {window_target_ms:.0f} ms; "
        f"ratio {w99 / window_target_ms:.2f})"
    )
    print(f"load average         : {la}")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
