"""Producers say how long Kafka held them up: back-pressure on a full local queue and the
final flush are timed, and a run's summary names a wait of a second or more."""

from __future__ import annotations

import time
from typing import Any

from rta.generator.engine import Stats
from rta.generator.kafka_sink import KafkaSink
from rta.generator.runner import RunSummary
from rta.kafka.client import produce_waiting
from rta.kafka.delivery import DeliveryTracker


class _FullThenRoom:
    """A producer whose queue is full for the first `full` produce() calls."""

    def __init__(self, full: int, flush_s: float = 0.0) -> None:
        self.full, self.flush_s = full, flush_s
        self.produced: list[Any] = []
        self.polls: list[float] = []

    def produce(self, topic: str, value: Any, key: Any, **kw: Any) -> None:
        if self.full > 0:
            self.full -= 1
            raise BufferError("Local: Queue full")
        self.produced.append((topic, value, key))

    def poll(self, timeout: float) -> int:
        self.polls.append(timeout)
        return 0

    def flush(self, timeout: float) -> int:
        time.sleep(self.flush_s)
        return 0


def test_produce_waiting_returns_zero_when_there_is_room() -> None:
    producer = _FullThenRoom(full=0)
    assert produce_waiting(producer, "t", b"v", b"k") == 0.0
    assert producer.produced == [("t", b"v", b"k")] and producer.polls == []


def test_produce_waiting_serves_reports_until_room_and_says_how_long() -> None:
    producer = _FullThenRoom(full=3)
    waited = produce_waiting(producer, "t", b"v", b"k")
    assert producer.polls == [0.05, 0.05, 0.05]  # delivery reports served while full
    assert producer.produced == [("t", b"v", b"k")]  # then sent, not dropped
    assert waited > 0.0


def test_the_kafka_sink_counts_back_pressure_and_the_final_flush() -> None:
    producer = _FullThenRoom(full=2, flush_s=0.05)
    sink = KafkaSink(producer, DeliveryTracker(), "raw_events")  # type: ignore[arg-type]
    sink.write(["a", "b"], [b"1", b"2"])
    before_flush = sink.waited_s
    sink.close()
    assert [v for _, v, _ in producer.produced] == ["a", "b"]
    assert sink.waited_s >= before_flush + 0.05


def _summary(waited_s: float) -> RunSummary:
    return RunSummary(
        sent=10, stats=Stats(), elapsed_s=2.0, interrupted=False, seed=1, waited_s=waited_s
    )


def test_the_summary_names_a_wait_of_a_second_or_more() -> None:
    assert "waited 12.5 s for Kafka" in _summary(12.5).describe("Kafka")
    assert "waited" not in _summary(0.02).describe("Kafka")  # a normal flush
