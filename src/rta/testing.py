"""Helpers for tests of code that consumes rta events (ours and yours).

MemorySink          a generator sink that keeps every record in memory
RecordingProducer   a stand-in for confluent_kafka.Producer that records produce()
FixedClock          every event at one instant
SimulatedClock      deterministic event time: start + i * step
generate_lines()    n seeded records as bytes lines, without Kafka
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rta.events import AddToCart, PageView, ProductView, Purchase, parse_event_json
from rta.generator.chaos import Chaos
from rta.generator.clock import FixedClock, SimulatedClock, parse_start
from rta.generator.engine import EventStream, GeneratorConfig
from rta.generator.funnel import Funnel
from rta.generator.runner import RunSummary, run

__all__ = [
    "FixedClock",
    "MemorySink",
    "ProducedRecord",
    "RecordingProducer",
    "SimulatedClock",
    "generate_lines",
]

AnyEvent = PageView | ProductView | AddToCart | Purchase


class MemorySink:
    """Keeps records as the bytes a file or Kafka sink would carry."""

    def __init__(self) -> None:
        self.lines: list[bytes] = []
        self.keys: list[bytes] = []
        self.closed = False

    def write(self, values: list[str], keys: list[bytes]) -> None:
        self.lines.extend(v.encode() for v in values)
        self.keys.extend(keys)

    def close(self) -> None:
        self.closed = True

    def events(self) -> list[AnyEvent]:
        """Every record parsed with the event contract (raises on an invalid one)."""
        return [parse_event_json(line) for line in self.lines]


@dataclass(frozen=True)
class ProducedRecord:
    topic: str
    value: bytes
    key: bytes | None
    headers: dict[str, bytes] = field(default_factory=dict)


class RecordingProducer:
    """Records produce() calls instead of sending them; poll() and flush() do nothing.

    Not a Kafka mock for integration tests (those use the real broker): it checks
    what a function *asks* Kafka to do.
    """

    def __init__(self) -> None:
        self.records: list[ProducedRecord] = []

    def produce(
        self,
        topic: str,
        value: bytes | str | None = None,
        key: bytes | str | None = None,
        headers: list[tuple[str, bytes]] | None = None,
        **kwargs: Any,
    ) -> None:
        self.records.append(
            ProducedRecord(
                topic,
                value.encode() if isinstance(value, str) else value or b"",
                key.encode() if isinstance(key, str) else key,
                dict(headers or []),
            )
        )

    def poll(self, timeout: float = 0.0) -> int:
        return 0

    def flush(self, timeout: float = 0.0) -> int:
        return 0

    def on(self, topic: str) -> list[ProducedRecord]:
        return [r for r in self.records if r.topic == topic]


def generate_lines(
    count: int,
    *,
    seed: int = 1,
    start: str = "2026-01-01T00:00:00Z",
    step_ms: float = 1.0,
    chaos: Chaos | None = None,
    funnel: Funnel | None = None,
    users: int = 2000,
    products: int = 200,
    concurrent_sessions: int = 500,
) -> tuple[MemorySink, RunSummary]:
    """`count` records of a seeded, simulated-time run, kept in a MemorySink."""
    config = GeneratorConfig(
        seed=seed,
        users=users,
        products=products,
        concurrent_sessions=concurrent_sessions,
        chaos=chaos or Chaos(),
        funnel=funnel or Funnel(),
    )
    sink = MemorySink()
    stream = EventStream(config, SimulatedClock(parse_start(start), step_ms))
    return sink, run(stream, sink, count=count)
