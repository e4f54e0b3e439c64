"""Feeding the shared pipeline and reading its results back from Pinot."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from rta.kafka.client import make_producer, produce_waiting
from rta.pinot.query import PinotClient, PinotQueryError
from rta.pipeline.jobs import FlinkRest
from rta.settings import Settings


def session_key(line: bytes) -> bytes | None:
    """Key a record by its session_id, as every rta producer does; None if unreadable."""
    try:
        value = json.loads(line)
        return str(value["session_id"]).encode() if isinstance(value, dict) else None
    except (ValueError, KeyError):
        return None


def produce_lines(settings: Settings, lines: Iterable[bytes]) -> int:
    producer = make_producer(settings)
    n = 0
    for line in lines:
        produce_waiting(producer, settings.kafka.raw_topic, line, session_key(line))
        n += 1
    remaining = producer.flush(60)
    assert remaining == 0, f"{remaining} records not delivered"
    return n


def flush_watermark(settings: Settings, at: datetime) -> None:
    """One valid event at `at` in every partition, so every partition's watermark passes it."""
    producer = make_producer(settings)
    for partition in range(settings.kafka.partitions):
        session = str(uuid.uuid4())
        event = {
            "event_id": str(uuid.uuid4()),
            "event_timestamp": at.isoformat().replace("+00:00", "Z"),
            "user_id": str(uuid.uuid4()),
            "session_id": session,
            "device_type": "desktop",
            "os": "Linux",
            "browser": "Firefox",
            "location": "Flushville",
            "event_type": "page_view",
            "page_url": "/flush",
            "referrer_url": "",
            "time_spent": 0.0,
        }
        produce_waiting(
            producer,
            settings.kafka.raw_topic,
            json.dumps(event).encode(),
            session.encode(),
            partition=partition,
        )
    assert producer.flush(30) == 0


def millis(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def later(dt: datetime, **delta: float) -> datetime:
    return dt + timedelta(**delta)


def wait_until(
    check: Callable[[], bool], timeout_s: float, what: str, interval_s: float = 1.0
) -> float:
    start = time.monotonic()
    while True:
        try:
            if check():
                return time.monotonic() - start
        except PinotQueryError:
            pass  # a table still loading answers with an error; keep polling
        if time.monotonic() - start > timeout_s:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(interval_s)


def query_all(settings: Settings, sql: str) -> list[dict[str, Any]]:
    with PinotClient(settings.pinot.broker) as client:
        return client.query(sql + " LIMIT 1000000").records()


def source_watermark_ms(settings: Settings) -> int | None:
    """The watermark entering the operators after the source (min over source subtasks)."""
    rest = FlinkRest(settings.flink.url)
    try:
        job = rest.active_job()
        if job is None:
            return None
        vertex = rest.vertex_metrics(job.job_id)[1]
        return rest.vertex_watermark(job.job_id, vertex["id"])
    finally:
        rest.close()


def wake_partitions(settings: Settings, at: datetime, timeout_s: float = 120.0) -> None:
    """Make every source split active before a burst, as a live stream keeps them.

    After the idle timeout Flink leaves idle splits out of the watermark. A burst into
    idle splits lets the first split read push the watermark past the earliest events
    of splits read a moment later, which then count as late (docs/pipeline.md,
    "Idleness"). One event per partition, processed before the burst, prevents that.
    """
    flush_watermark(settings, at)
    target = millis(at) - int(settings.flink.watermark_bound_s * 1000) - 1

    def every_split_awake() -> bool:
        # Per split, not the combined watermark: that one ignores splits still idle.
        rest = FlinkRest(settings.flink.url)
        try:
            job = rest.active_job()
            marks = rest.split_watermarks(job.job_id) if job else {}
        finally:
            rest.close()
        return len(marks) == settings.kafka.partitions and min(marks.values()) >= target

    wait_until(every_split_awake, timeout_s, "every partition to read its wake-up event", 0.5)
