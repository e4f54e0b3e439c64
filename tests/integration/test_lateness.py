"""Late events: the same rows whether they arrive live or in one burst.

Every partition carries a stream of 400 s of event time; then, per partition, events
arrive that lie behind the newest one by less than, exactly and more than the
watermark bound plus the allowed lateness. Those within count in their (long
closed) window, which is rewritten in place; the others go to the late topic and
are counted, and still count in their sessions. The same events are sent twice, on
two days: once in one burst, once spread out over time.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

import pytest
from tests.support.pipeline_io import (
    end_offsets,
    flush_watermark,
    later,
    millis,
    partition_of,
    produce_lines,
    records_since,
)
from tests.support.results import assert_results_equal, counts_settled, expect
from tests.support.timeline import next_range_start

from rta.pipeline.counts import read_counts
from rta.settings import Settings

pytestmark = pytest.mark.integration

STREAM_S = 400


def _session_in(partition: int, partitions: int) -> str:
    """A session id that the default partitioner sends to `partition`."""
    while True:
        session = str(uuid.uuid4())
        if partition_of(session.encode(), partitions) == partition:
            return session


def _event(at: datetime, session: str, etype: str = "product_view") -> bytes:
    event = {
        "event_id": str(uuid.uuid4()),
        "event_timestamp": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "user_id": str(uuid.uuid4()),
        "session_id": session,
        "device_type": "desktop",
        "os": "Linux",
        "browser": "Firefox",
        "location": "Oslo",
        "event_type": etype,
        "product_id": f"P-{at.second % 7}",
        "product_name": f"Item {at.second % 7}",
        "product_category": "tools",
        "price": 3.25,
    }
    return json.dumps(event).encode()


def _stream(start: datetime, stack: Settings) -> list[bytes]:
    """In-order traffic on every partition, then the late events at the end."""
    n = stack.kafka.partitions
    sessions = [_session_in(p, n) for p in range(n)]
    lines = [
        _event(later(start, seconds=s), sessions[p]) for s in range(STREAM_S) for p in range(n)
    ]
    high = later(start, seconds=STREAM_S - 1)
    limit_s = stack.flink.watermark_bound_s + stack.flink.allowed_lateness_s
    for p in range(n):
        for behind in (
            timedelta(seconds=3),  # within the watermark bound: ordinary disorder
            timedelta(seconds=limit_s - 1),  # within the allowed lateness
            timedelta(seconds=limit_s),  # exactly at the limit: still counts
            timedelta(seconds=limit_s, milliseconds=1),  # 1 ms beyond: late
            timedelta(seconds=limit_s + 60),  # far beyond: late
        ):
            lines.append(_event(high - behind, sessions[p]))
    return lines


def _shifted(lines: list[bytes], by: timedelta) -> list[bytes]:
    """The same events, `by` later, with fresh ids (so neither copy is a duplicate)."""
    out = []
    for line in lines:
        event = json.loads(line)
        at = datetime.fromisoformat(event["event_timestamp"]) + by
        event["event_timestamp"] = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        event["event_id"] = str(uuid.uuid4())
        out.append(json.dumps(event).encode())
    return out


@pytest.mark.parametrize("arrival", ["burst", "live"])
def test_late_events_give_the_same_rows_live_or_in_a_burst(stack: Settings, arrival: str) -> None:
    start = next_range_start()
    lines = _stream(start, stack)
    late_before = end_offsets(stack, stack.kafka.late_topic)
    counts_before = read_counts(stack)

    # Live: about 40 s for the whole stream, so watermarks advance and windows fire
    # between records; the late ones reach windows that have long fired.
    records = produce_lines(stack, lines, rate=len(lines) / 40 if arrival == "live" else 0.0)
    flush_watermark(stack, later(start, seconds=STREAM_S + 120))

    f = stack.flink
    expected = expect(stack, records)
    partitions = stack.kafka.partitions
    assert expected.late_events == 2 * partitions, "two late events per partition"
    assert_results_equal(stack, expected, millis(start), millis(later(start, minutes=8)))

    counts = counts_settled(
        stack,
        counts_before,
        read=len(lines) + partitions,
        passed_on=expected.distinct_events + partitions,
    )
    assert counts.read == len(lines) + partitions
    assert counts.late == expected.late_events
    late = records_since(stack, stack.kafka.late_topic, late_before)
    assert sorted(r.value["event_id"] for r in late) == sorted(expected.late)
    limit_ms = round((f.watermark_bound_s + f.allowed_lateness_s) * 1000)
    for r in late:
        # How far behind its partition's watermark: the allowed lateness plus > 0 ms.
        assert r.value["behind_watermark_ms"] > limit_ms - round(f.watermark_bound_s * 1000)
