"""The traffic model, measured on a seeded simulated hour against what it states.

One hour at 60 events/s (216,000 records, a few seconds to make), the second half
hour a burst at twice the rate. Distributions are read from the records alone and
compared with the model's parameters (think time) and with the rates it implies
(rta.generator.model plans visits the way the engine does, with its own sample).
"""

from __future__ import annotations

import itertools
import json
import statistics
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

import pytest

from rta.generator import EventStream, GeneratorConfig, SimulatedClock, parse_start
from rta.generator.model import ModelSummary, summarise
from rta.generator.traffic import Traffic, TrafficShape
from rta.testing import MemorySink

START = parse_start("2030-03-01T00:00:00Z")
RATE = 60.0
HALF_HOUR = 1_800_000


@pytest.fixture(scope="module")
def hour() -> dict[str, Any]:
    config = GeneratorConfig(seed=42)
    shape = TrafficShape(burst_at_ms=START + HALF_HOUR, burst_minutes=30, burst_factor=2.0)
    stream = EventStream(config, SimulatedClock(START, 1000 / RATE, shape))
    sink = MemorySink()
    in_progress: list[tuple[int, int]] = []  # (event time, visits in progress)
    while stream.clock.now_ms() < START + 2 * HALF_HOUR:
        values, keys = stream.next_batch(60)
        sink.write(values, keys)
        in_progress.append((stream.clock.now_ms(), stream.in_progress))
    visits: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in sink.lines:
        event = json.loads(line)
        event["ms"] = round(
            datetime.fromisoformat(event["event_timestamp"].replace("Z", "+00:00")).timestamp()
            * 1000
        )
        visits[event["session_id"]].append(event)
    return {
        "config": config,
        "visits": visits,
        "in_progress": in_progress,
        "records": len(sink.lines),
        "model": summarise(config, RATE, sample=40_000),
    }


def _complete(hour: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """Visits that began between minute 5 and 25: whole, in the steady state, unburst."""
    return [v for v in hour["visits"].values() if START + 300_000 <= v[0]["ms"] < START + 1_500_000]


def test_think_times_have_the_stated_median(hour: dict[str, Any]) -> None:
    gaps = sorted(
        (b["ms"] - a["ms"]) / 1000 for v in _complete(hour) for a, b in itertools.pairwise(v)
    )
    assert len(gaps) > 10_000
    stated: float = Traffic().think_median_s
    # A due visit waits for the next record (1/60 s apart, a few at once): if anything,
    # a little later.
    assert stated * 0.97 <= statistics.median(gaps) <= stated * 1.05
    p95 = gaps[int(0.95 * len(gaps))]
    model: ModelSummary = hour["model"]
    assert p95 == pytest.approx(model.think_p95_s, rel=0.1)


def test_events_per_visit_bounces_and_tail(hour: dict[str, Any]) -> None:
    model: ModelSummary = hour["model"]
    sizes = sorted(len(v) for v in _complete(hour))
    assert len(sizes) > 3000
    bounces = sum(1 for n in sizes if n == 1) / len(sizes)
    assert bounces == pytest.approx(model.bounce_share, abs=0.03)
    assert 0.25 <= bounces <= 0.45, "many one-page visits"
    assert statistics.fmean(sizes) == pytest.approx(model.events_mean, rel=0.08)
    assert sizes[int(0.95 * len(sizes))] == pytest.approx(model.events_p95, abs=2)
    assert sizes[-1] >= 3 * model.events_p95, "a long tail of browsing visits"


def test_visits_last_minutes(hour: dict[str, Any]) -> None:
    model: ModelSummary = hour["model"]
    durations = sorted((v[-1]["ms"] - v[0]["ms"]) / 1000 for v in _complete(hour) if len(v) > 1)
    median = statistics.median(durations)
    assert median == pytest.approx(model.duration_median_s, rel=0.15)
    assert median >= 60, "a visit takes minutes, not milliseconds"


def test_conversion_and_cart_abandonment(hour: dict[str, Any]) -> None:
    model: ModelSummary = hour["model"]
    visits = _complete(hour)
    kinds = [{e["event_type"] for e in v} for v in visits]
    carts = [k for k in kinds if "add_to_cart" in k]
    conversion = sum(1 for k in kinds if "purchase" in k) / len(kinds)
    abandoned = sum(1 for k in carts if "purchase" not in k) / len(carts)
    assert conversion == pytest.approx(model.conversion, abs=0.012)
    assert 0.02 <= conversion <= 0.05, "shops convert a few percent of visits"
    assert abandoned == pytest.approx(model.cart_abandonment, abs=0.08)
    assert 0.6 <= abandoned <= 0.85


def test_most_users_visit_once_and_regulars_return(hour: dict[str, Any]) -> None:
    config: GeneratorConfig = hour["config"]
    per_user = Counter(v[0]["user_id"] for v in hour["visits"].values())
    once = sum(1 for n in per_user.values() if n == 1) / len(per_user)
    assert once > 0.8
    # The most frequent visitor: user 0, picked with the probability the continuous
    # 1/x^skew distribution gives [1, 2); Poisson-sized tolerance.
    a = 1 - config.traffic.user_skew
    p0 = (2**a - 1) / ((config.users + 1) ** a - 1)
    expected = p0 * len(hour["visits"])
    assert abs(max(per_user.values()) - expected) <= 4 * expected**0.5 + 2


def test_visits_in_progress_follow_the_rate(hour: dict[str, Any]) -> None:
    model: ModelSummary = hour["model"]

    def mean_in_progress(lo: int, hi: int) -> float:
        return statistics.fmean(n for t, n in hour["in_progress"] if lo <= t < hi)

    # Steady state from about two mean visit lives on; the burst doubles the rate.
    calm = mean_in_progress(START + 900_000, START + HALF_HOUR)
    burst = mean_in_progress(START + HALF_HOUR + 900_000, START + 2 * HALF_HOUR)
    assert calm == pytest.approx(model.in_progress, rel=0.15)
    # Warm from the first second: the stream starts with the visits the rate keeps going.
    assert hour["in_progress"][0][1] == pytest.approx(model.in_progress, rel=0.15)
    assert burst / calm == pytest.approx(2.0, rel=0.15)
    assert hour["records"] == pytest.approx(RATE * 1800 * 3, rel=0.01)
