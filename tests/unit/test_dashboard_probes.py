"""The pipeline panel's own probes: the collector's /metrics read back, rates between
readings, Flink's lag from committed offsets, and a Kafka that does not answer."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from rta.collector.metrics import Metrics
from rta.dashboard.probes import Rates, TopicState, kafka_state
from rta.health import collector_health
from rta.settings import Settings


def _serve_metrics(monkeypatch: pytest.MonkeyPatch, status: int, body: bytes | str) -> None:
    def get(url: str, timeout: float) -> httpx.Response:
        assert url == "http://127.0.0.1:8000/metrics"
        return httpx.Response(status, content=body)

    # rta.health.collector_health imports httpx when called: patch the module itself.
    monkeypatch.setattr(httpx, "get", get)


def test_collector_counters_are_read_from_its_own_metrics(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    m = Metrics()
    m.accepted.inc(41)
    m.rejected.labels("price", "float_type").inc(2)
    m.rejected.labels("user_id", "missing").inc()
    m.refused.labels("401").inc(3)
    _serve_metrics(monkeypatch, 200, m.render())
    state = collector_health(Settings(), 1.0)
    assert state.error is None
    assert state.accepted == 41
    assert state.rejected == {"price: float_type": 2, "user_id: missing": 1}
    assert state.refused == {"401": 3}


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (500, "", "answered 500"),
        (200, "# nothing here\n", "has no rta collector counters"),
    ],
)
def test_a_collector_that_answers_oddly_says_so(
    monkeypatch: pytest.MonkeyPatch, status: int, body: str, error: str
) -> None:
    _serve_metrics(monkeypatch, status, body)
    state = collector_health(Settings(), 1.0)
    assert state.error is not None and error in state.error
    assert state.error.startswith("collector: ")


def test_a_collector_that_is_not_running_is_named() -> None:
    # Port 9 (discard) on loopback: nothing listens there.
    settings = Settings(collector={"port": 9})  # type: ignore[arg-type]
    state = collector_health(settings, 1.0)
    assert state.error is not None
    assert state.error.startswith("collector: not answering at http://127.0.0.1:9")


def test_rates_between_readings() -> None:
    now = [100.0]
    rates = Rates(clock=lambda: now[0])
    assert rates.update("t", 1000) is None
    now[0] += 0.2  # too soon (a second tab): no new rate
    assert rates.update("t", 1100) is None
    now[0] += 1.8
    assert rates.update("t", 1400) == pytest.approx(200.0)
    now[0] += 0.5
    assert rates.update("t", 1500) == pytest.approx(200.0)  # keeps the last
    now[0] += 2
    assert rates.update("t", 10) is None  # went back: a recreated topic


def test_flink_lag_from_committed_offsets() -> None:
    t = TopicState("raw_events", {0: 100, 1: 50, 2: 7}, {0: 90, 1: 50})
    assert t.end_offset == 157
    assert t.lag == 10 + 0 + 7  # nothing committed on partition 2 yet
    assert TopicState("x", {0: 5}).lag is None


def test_a_kafka_that_does_not_answer_is_an_error_not_an_exception() -> None:
    settings = Settings(kafka={"bootstrap_servers": "127.0.0.1:9"})  # type: ignore[arg-type]
    state: Any = kafka_state(settings, 0.5)
    assert state.topics == []
    assert state.error.startswith("kafka: ")
    assert "127.0.0.1:9" in state.error
