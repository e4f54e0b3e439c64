"""Kafka -> Flink -> Pinot, end to end, checked row by row against the oracle.

One seeded event set with the edge cases that break naive pipelines is produced
into the shared stack as a foreign producer would (no validation): >10 minutes of
event time, events exactly on minute boundaries, non-UTC offsets and microsecond
fractions, repeat views, multi-line orders, two users sharing a session, duplicate
deliveries, out-of-order arrival within the watermark bound, records of every
invalid kind the generator makes and malformed records. Every Pinot result row
(every column) must equal the independent oracle's (tests/support/oracle.py, no
rta code), and the job's own totals must account for every record sent.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from tests.support.oracle import Expected
from tests.support.pipeline_io import flush_watermark, later, millis, produce_lines
from tests.support.results import (
    active_users,
    assert_eventually_equal,
    assert_results_equal,
    counts_settled,
    expect,
    expected_active,
    products,
    raw_count,
    sessions,
)
from tests.support.timeline import next_range_start

from rta.generator.chaos import Chaos
from rta.pipeline.counts import PipelineCounts, read_counts
from rta.settings import Settings
from rta.testing import generate_lines

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Run:
    start: datetime
    end: datetime
    records: list[tuple[int, bytes]]
    expected: Expected
    counts_before: PipelineCounts

    @property
    def lo(self) -> int:
        return millis(self.start)

    @property
    def hi(self) -> int:
        return millis(self.end)


def _event(ts: str, user: str, session: str, etype: str, **fields: Any) -> bytes:
    base = {
        "event_id": str(uuid.uuid4()),
        "event_timestamp": ts,
        "user_id": user,
        "session_id": session,
        "device_type": "tablet",
        "os": "Android",
        "browser": "Chrome",
        "location": "Pune",
        "event_type": etype,
    }
    return json.dumps({**base, **fields}).encode()


def _handmade(start: datetime) -> list[bytes]:
    """A session whose timestamps sit on minute boundaries in several offsets."""
    user, session = str(uuid.uuid4()), str(uuid.uuid4())
    product = {"product_id": "P-EDGE", "product_name": "Edge Lamp", "product_category": "home"}
    m1 = later(start, minutes=1)
    return [
        # 00:01:00.000Z written as +05:30 and -05:00: exactly on the boundary.
        _event(
            m1.astimezone(_tz(330)).isoformat(timespec="milliseconds"),
            user,
            session,
            "page_view",
            page_url="/",
            referrer_url="",
            time_spent=3.5,
        ),
        _event(
            m1.astimezone(_tz(-300)).isoformat(timespec="microseconds"),
            user,
            session,
            "product_view",
            price=19.99,
            **product,
        ),
        # One microsecond before the next boundary: still in minute 1 (truncation).
        _event(
            later(start, minutes=2, microseconds=-1).isoformat(timespec="microseconds"),
            user,
            session,
            "product_view",
            price=21.01,
            **product,
        ),
        _event(
            later(start, minutes=2).astimezone(_tz(120)).isoformat(),
            user,
            session,
            "add_to_cart",
            price=21.01,
            quantity=2,
            **product,
        ),
        _event(
            later(start, minutes=2, seconds=5).isoformat().replace("+00:00", "Z"),
            user,
            session,
            "purchase",
            price=21.01,
            quantity=2,
            total_amount=42.02,
            order_id="O-EDGE-1",
            **product,
        ),
        _event(
            later(start, minutes=2, seconds=5).isoformat().replace("+00:00", "Z"),
            user,
            session,
            "purchase",
            price=5.0,
            quantity=1,
            total_amount=5.0,
            order_id="O-EDGE-1",
            product_id="P-EDGE-2",
            product_name="Bulb",
            product_category="home",
        ),
    ]


def _tz(minutes: int) -> timezone:
    return timezone(timedelta(minutes=minutes))


def _shared_session(start: datetime) -> list[bytes]:
    """Two users in one session (a shared device, a handed-over cart): two result rows."""
    session = str(uuid.uuid4())
    product = {"product_id": "P-SHARED", "product_name": "Shared Mug", "product_category": "home"}
    rows = []
    for n, user in enumerate((str(uuid.uuid4()), str(uuid.uuid4()))):
        at = later(start, minutes=3, seconds=10 * n)
        rows += [
            _event(_z(at), user, session, "product_view", price=7.5, **product),
            _event(
                _z(later(at, seconds=2)),
                user,
                session,
                "add_to_cart",
                price=7.5,
                quantity=1 + n,
                **product,
            ),
        ]
    return rows


def _z(dt: datetime) -> str:
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")


MALFORMED = [
    b"{not json",
    b'{"event_id": "truncated',
    b"[1, 2, 3]",
    b"",
    b'{"event_id":"8d0c3c53-7e3f-4a43-a7b0-111111111111","event_timestamp":"2030-01-01T00:00:00",'
    b'"event_type":"page_view"}',
]


def _feed(stack: Settings) -> Run:
    start = next_range_start()
    sink, _ = generate_lines(
        30_000,
        # Event ids derive from the seed: a distinct seed per time range keeps runs apart.
        seed=42 + start.toordinal(),
        start=_z(start),
        step_ms=25.0,  # 30,000 x 25 ms = 12.5 minutes of event time, boundaries included
        chaos=Chaos(
            late_fraction=0.03,
            late_max_ms=4000,
            duplicate_fraction=0.03,
            invalid_fraction=0.01,
            tz_mix=0.2,
        ),
        users=300,
    )
    lines = _handmade(start) + _shared_session(start) + sink.lines
    # Malformed records spread through the stream; they must change nothing.
    for i, bad in enumerate(MALFORMED):
        lines.insert(1000 + i * 5000, bad)
    end = later(start, minutes=13)
    before = read_counts(stack)
    records = produce_lines(stack, lines)
    flush_watermark(stack, later(end, minutes=2))
    expected = expect(stack, records)
    return Run(start, end, records, expected, before)


@pytest.fixture(scope="module")
def run(stack: Settings) -> Run:
    feed = _feed(stack)
    assert feed.expected.duplicate_lines > 500
    assert feed.expected.invalid_lines > 200, "the run must hold invalid records of every kind"
    assert len(feed.expected.active_users) >= 10
    return feed


def _first_pass_counted(stack: Settings, run: Run) -> PipelineCounts:
    """The job's totals for the run's records and flush events, once all are counted."""
    flushes = stack.kafka.partitions  # flush_watermark's events, one per partition
    return counts_settled(
        stack,
        run.counts_before,
        read=len(run.records) + flushes,
        passed_on=run.expected.distinct_events + flushes,
    )


def test_results_equal_oracle(stack: Settings, run: Run) -> None:
    assert_results_equal(stack, run.expected, run.lo, run.hi)


def test_two_users_in_one_session_are_two_rows(stack: Settings, run: Run) -> None:
    shared = [k for k in run.expected.sessions if k[1] and _is_shared(run, k[0])]
    assert len(shared) == 2
    got = sessions(stack, run.lo, run.hi)
    assert all(k in got for k in shared), f"{shared} not both in Pinot"


def _is_shared(run: Run, session_id: str) -> bool:
    return sum(1 for sid, _ in run.expected.sessions if sid == session_id) > 1


def test_raw_events_count_is_distinct_valid_events(stack: Settings, run: Run) -> None:
    assert_eventually_equal(
        lambda: raw_count(stack, run.lo, run.hi), run.expected.distinct_events, "raw_events count"
    )


def test_the_job_accounts_for_every_record(stack: Settings, run: Run) -> None:
    flushes = stack.kafka.partitions  # flush_watermark's events, one per partition
    counts = _first_pass_counted(stack, run)
    want = run.expected
    assert want.read == len(run.records)
    assert counts.read == want.read + flushes
    assert counts.rejected_by_field() == want.rejected
    assert counts.duplicates == want.duplicate_lines
    assert counts.late == want.late_events
    assert counts.on_time == want.distinct_events - want.late_events + flushes


def test_replaying_the_same_events_changes_no_row(stack: Settings, run: Run) -> None:
    # Wait for the first pass to be complete, then send every record again.
    assert_eventually_equal(
        lambda: active_users(stack, run.lo, run.hi), expected_active(run.expected), "first pass"
    )
    _first_pass_counted(stack, run)
    before_rows = (
        active_users(stack, run.lo, run.hi),
        products(stack, run.lo, run.hi),
        sessions(stack, run.lo, run.hi),
    )
    before = read_counts(stack)
    produce_lines(stack, [line for _, line in run.records])
    flush_watermark(stack, later(run.end, minutes=3))

    # Proof that the replay was read: the job counted every replayed record, and every
    # valid one as a duplicate of the first pass (the de-duplication horizon is 1 h).
    flushes = stack.kafka.partitions  # flush_watermark's events, one per partition
    delta = counts_settled(stack, before, read=len(run.records) + flushes, passed_on=flushes)
    assert delta.read == len(run.records) + flushes
    assert delta.duplicates == run.expected.distinct_events + run.expected.duplicate_lines
    assert delta.passed_on == flushes
    after_rows = (
        active_users(stack, run.lo, run.hi),
        products(stack, run.lo, run.hi),
        sessions(stack, run.lo, run.hi),
    )
    assert after_rows == before_rows
