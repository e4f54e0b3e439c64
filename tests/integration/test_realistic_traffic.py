"""Shop-like traffic through the real pipeline: six minutes at 1,000 events/s.

The generator's default model (a million users, visits with think times of tens of
seconds) in simulated time, produced as fast as Kafka takes it. Active users per
minute in Pinot must equal the oracle's, row by row, and be a small part of the
population; session_analytics must equal the oracle's and show visits that last
minutes. Event time lies in a range of tests/support/timeline.py.
"""

from __future__ import annotations

import statistics

import pytest
from tests.support.pipeline_io import flush_watermark, later, millis, produce_lines
from tests.support.results import (
    active_users,
    assert_eventually_equal,
    expect,
    expected_active,
    expected_sessions,
    sessions,
)
from tests.support.timeline import next_range_start

from rta.generator.engine import GeneratorConfig
from rta.settings import Settings
from rta.testing import generate_lines

pytestmark = pytest.mark.integration

RATE = 1000  # events per simulated second
MINUTES = 6


def test_active_users_and_visit_durations_look_like_a_shop(stack: Settings) -> None:
    start = next_range_start()
    sink, _ = generate_lines(
        RATE * 60 * MINUTES,
        seed=start.toordinal() * 100 + 17,  # apart from other tests' seeds
        start=start.isoformat().replace("+00:00", "Z"),
        step_ms=1000 / RATE,
    )
    records = produce_lines(stack, sink.lines)
    flush_watermark(stack, later(start, minutes=MINUTES + 2))
    expected = expect(stack, records)
    lo, hi = millis(start), millis(later(start, minutes=MINUTES))

    assert_eventually_equal(
        lambda: active_users(stack, lo, hi), expected_active(expected), "active users"
    )
    population = GeneratorConfig(seed=0).users
    full_minutes = [v.active_users for k, v in expected.active_users.items() if k < hi]
    assert len(full_minutes) == MINUTES
    # Visits in progress, not the population: tens of thousands of a million.
    assert all(5_000 < n < population / 10 for n in full_minutes), full_minutes

    assert_eventually_equal(
        lambda: sessions(stack, lo, hi), expected_sessions(expected), "session analytics"
    )
    # Visits that began in the first two minutes have had four more to go on.
    got = sessions(stack, lo, hi)
    durations = [
        (end - begin) / 1000
        for (count, _v, _c, _p, begin, end) in got.values()
        if count >= 2 and begin < lo + 120_000
    ]
    assert len(durations) > 5_000
    assert statistics.median(durations) >= 60, "visits last minutes, not milliseconds"
    # Several events per visit, even cut at both ends of six minutes (about 2.8).
    assert len(set(sink.keys)) < len(sink.lines) / 2
