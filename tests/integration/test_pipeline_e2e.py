"""Kafka -> Flink -> Pinot, end to end, checked row by row against the Python oracle.

One seeded event set with the edge cases that break naive pipelines is replayed
into the shared stack: >10 minutes of event time, events exactly on minute
boundaries, non-UTC offsets and microsecond fractions, repeat views, multi-line
orders, duplicate deliveries, out-of-order arrival within the watermark bound and
malformed records. Every Pinot result row must equal the oracle's.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from tests.support.oracle import Expected, compute
from tests.support.pipeline_io import (
    flush_watermark,
    later,
    millis,
    produce_lines,
    query_all,
    wait_until,
    wake_partitions,
)
from tests.support.timeline import next_range_start

from rta.generator.chaos import Chaos
from rta.pipeline.jobs import FlinkRest, InputQuality
from rta.settings import Settings
from rta.testing import generate_lines

pytestmark = pytest.mark.integration

RESULT_TIMEOUT_S = 240


def wait_for_skipped(rest: FlinkRest, job_id: str, at_least: int) -> InputQuality:
    # The counters come from two metric samples refreshed every second; poll until
    # they have caught up with the run (or time out, which fails the test).
    box: list[InputQuality] = []

    def read() -> bool:
        box[:] = [rest.input_quality(job_id)]
        return box[0].skipped >= at_least

    try:
        wait_until(read, 60, "Flink's source metrics to count the skipped records")
    except AssertionError:
        raise AssertionError(f"skipped records not counted: {box}") from None
    return box[0]


@dataclass(frozen=True)
class Run:
    start: datetime
    end: datetime
    lines: list[bytes]
    expected: Expected
    skipped_before: int

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
        start=start.isoformat().replace("+00:00", "Z"),
        step_ms=25.0,  # 30,000 x 25 ms = 12.5 minutes of event time, boundaries included
        chaos=Chaos(late_fraction=0.03, late_max_ms=4000, duplicate_fraction=0.03, tz_mix=0.2),
        users=300,
        concurrent_sessions=200,
    )
    lines = _handmade(start) + sink.lines
    # Malformed records spread through the stream; they must change nothing.
    for i, bad in enumerate(MALFORMED):
        lines.insert(1000 + i * 5000, bad)
    end = later(start, minutes=13)
    rest = FlinkRest(stack.flink.url)
    try:
        job = rest.active_job()
        skipped_before = rest.input_quality(job.job_id).skipped if job else 0
    finally:
        rest.close()
    wake_partitions(stack, later(start, minutes=-1))
    produce_lines(stack, lines)
    flush_watermark(stack, later(end, minutes=2))
    return Run(start, end, lines, compute(lines), skipped_before)


@pytest.fixture(scope="module")
def run(stack: Settings) -> Run:
    feed = _feed(stack)
    assert feed.expected.duplicate_lines > 500 and feed.expected.invalid_lines == len(MALFORMED)
    assert len(feed.expected.active_users) >= 10
    return feed


def _active(stack: Settings, run: Run) -> dict[int, tuple[int, int]]:
    rows = query_all(
        stack,
        "SELECT window_start, window_end, active_users FROM active_users_per_minute "
        f"WHERE window_start BETWEEN {run.lo} AND {run.hi}",
    )
    return {r["window_start"]: (r["window_end"], r["active_users"]) for r in rows}


def _expected_active(run: Run) -> dict[int, tuple[int, int]]:
    return {k: (v.window_end, v.active_users) for k, v in run.expected.active_users.items()}


def _products(stack: Settings, run: Run) -> dict[tuple[int, str], tuple[Any, ...]]:
    rows = query_all(
        stack,
        "SELECT window_start, window_end, product_id, product_name, product_category, "
        "view_count, avg_price FROM product_analytics_per_minute "
        f"WHERE window_start BETWEEN {run.lo} AND {run.hi}",
    )
    return {
        (r["window_start"], r["product_id"]): (
            r["window_end"],
            r["product_name"],
            r["product_category"],
            r["view_count"],
            round(r["avg_price"], 6),
        )
        for r in rows
    }


def _expected_products(run: Run) -> dict[tuple[int, str], tuple[Any, ...]]:
    return {
        k: (v.window_end, v.product_name, v.product_category, v.view_count, round(v.avg_price, 6))
        for k, v in run.expected.products.items()
    }


def _sessions(stack: Settings, run: Run) -> dict[str, tuple[Any, ...]]:
    rows = query_all(
        stack,
        "SELECT session_id, user_id, event_count, products_viewed, products_added_to_cart, "
        f"purchases_made FROM session_analytics WHERE session_end BETWEEN {run.lo} AND {run.hi}",
    )
    return {
        r["session_id"]: (
            r["user_id"],
            r["event_count"],
            r["products_viewed"],
            r["products_added_to_cart"],
            r["purchases_made"],
        )
        for r in rows
    }


def _expected_sessions(run: Run) -> dict[str, tuple[Any, ...]]:
    return {
        k: (v.user_id, v.event_count, v.products_viewed, v.products_added_to_cart, v.purchases_made)
        for k, v in run.expected.sessions.items()
    }


def _raw_count(stack: Settings, run: Run) -> int:
    rows = query_all(
        stack,
        f"SELECT COUNT(*) AS n FROM raw_events WHERE event_time_ms BETWEEN {run.lo} AND {run.hi}",
    )
    return int(rows[0]["n"])


def _assert_eventually_equal(got: Any, want: Any, what: str) -> None:
    try:
        wait_until(lambda: got() == want, RESULT_TIMEOUT_S, what, interval_s=2.0)
    except AssertionError:
        actual = got()
        missing = {k: want[k] for k in list(set(want) - set(actual))[:5]}
        extra = {k: actual[k] for k in list(set(actual) - set(want))[:5]}
        wrong = {k: (actual[k], want[k]) for k in set(want) & set(actual) if actual[k] != want[k]}
        raise AssertionError(
            f"{what}: {len(actual)} rows vs {len(want)} expected; missing {missing}; "
            f"unexpected {extra}; different (got, want) {dict(list(wrong.items())[:5])}"
        ) from None


def test_active_users_per_minute_equals_oracle(stack: Settings, run: Run) -> None:
    _assert_eventually_equal(lambda: _active(stack, run), _expected_active(run), "active users")


def test_product_analytics_per_minute_equals_oracle(stack: Settings, run: Run) -> None:
    _assert_eventually_equal(
        lambda: _products(stack, run), _expected_products(run), "product analytics"
    )


def test_session_analytics_equals_oracle(stack: Settings, run: Run) -> None:
    _assert_eventually_equal(
        lambda: _sessions(stack, run), _expected_sessions(run), "session analytics"
    )


def test_raw_events_count_is_distinct_event_ids(stack: Settings, run: Run) -> None:
    _assert_eventually_equal(
        lambda: _raw_count(stack, run), run.expected.distinct_events, "raw_events count"
    )


def test_malformed_records_leave_the_job_running_and_are_counted(stack: Settings, run: Run) -> None:
    # Wait until the whole run has been read, so the counters include it.
    _assert_eventually_equal(lambda: _raw_count(stack, run), run.expected.distinct_events, "raw")
    rest = FlinkRest(stack.flink.url)
    try:
        job = rest.active_job()
        assert job is not None and job.state == "RUNNING"
        quality = wait_for_skipped(rest, job.job_id, run.skipped_before + len(MALFORMED))
    finally:
        rest.close()
    assert quality.consumed >= len(run.lines)


def test_replaying_the_same_events_changes_no_row(stack: Settings, run: Run) -> None:
    # Wait for the first pass to be complete, then send every record again.
    _assert_eventually_equal(lambda: _active(stack, run), _expected_active(run), "first pass")
    _assert_eventually_equal(lambda: _raw_count(stack, run), run.expected.distinct_events, "raw")
    before = (_active(stack, run), _products(stack, run), _sessions(stack, run))
    produce_lines(stack, run.lines)
    flush_watermark(stack, later(run.end, minutes=3))
    # Give the pipeline time to process the replay (checkpoint interval + idle timeout).
    time.sleep(stack.flink.checkpoint_interval_s + stack.flink.idle_timeout_s + 10)
    after = (_active(stack, run), _products(stack, run), _sessions(stack, run))
    assert after == before
    assert _raw_count(stack, run) == run.expected.distinct_events
