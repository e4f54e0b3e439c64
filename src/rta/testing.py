"""Helpers for tests of code that consumes rta events (ours and yours).

MemorySink          a generator sink that keeps every record in memory
RecordingProducer   a stand-in for confluent_kafka.Producer that records produce()
FixedClock          every event at one instant
SimulatedClock      deterministic event time: start + i * step
generate_lines()    n seeded records as bytes lines, without Kafka
flush_events()      one valid event per partition at an instant, to move every watermark
free_ports()        n free TCP ports on 127.0.0.1
settings_on_free_ports()  settings of a local stack on free ports, for a private stack
"""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaError, Message

from rta.events import AddToCart, PageView, ProductView, Purchase, parse_event_json
from rta.generator.chaos import Chaos
from rta.generator.clock import FixedClock, SimulatedClock, parse_start
from rta.generator.engine import EventStream, GeneratorConfig
from rta.generator.funnel import Funnel
from rta.generator.runner import RunSummary, run
from rta.generator.traffic import Traffic
from rta.settings import (
    CollectorSettings,
    DashboardSettings,
    FlinkSettings,
    KafkaSettings,
    PinotSettings,
    Settings,
)

__all__ = [
    "FixedClock",
    "MemorySink",
    "ProducedRecord",
    "RecordingProducer",
    "SimulatedClock",
    "free_ports",
    "generate_lines",
    "settings_on_free_ports",
]

AnyEvent = PageView | ProductView | AddToCart | Purchase


class MemorySink:
    """Keeps records as the bytes a file or Kafka sink would carry."""

    waited_s = 0.0

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
    """Records produce() calls instead of sending them.

    Not a Kafka mock for integration tests (those use the real broker): it checks
    what a function *asks* Kafka to do. A record produced with `on_delivery=` gets its
    delivery report in a later poll() or flush(), in the thread that calls them, as
    with librdkafka: a success, or the KafkaError `fail` when one is set. `hold=True`
    keeps the reports back, as an unreachable broker does (flush() then returns how
    many are still waiting); `release()` lets them through again.
    """

    def __init__(self, *, fail: KafkaError | None = None, hold: bool = False) -> None:
        self.records: list[ProducedRecord] = []
        self.fail = fail
        self.hold = hold
        self._waiting: list[tuple[Callable[[KafkaError | None, Message], None], Message]] = []
        self.purged = 0
        # produce() and poll() may run in different threads (the collector polls in one).
        self._reported = threading.Condition()

    def produce(
        self,
        topic: str,
        value: bytes | str | None = None,
        key: bytes | str | None = None,
        headers: list[tuple[str, bytes]] | None = None,
        on_delivery: Callable[[KafkaError | None, Message], None] | None = None,
        **kwargs: Any,
    ) -> None:
        record = ProducedRecord(
            topic,
            value.encode() if isinstance(value, str) else value or b"",
            key.encode() if isinstance(key, str) else key,
            dict(headers or []),
        )
        with self._reported:
            self.records.append(record)
            if on_delivery is not None:
                sent: list[tuple[str, str | bytes | None]] = list(headers or [])
                message = Message(topic=topic, value=record.value, key=record.key, headers=sent)
                self._waiting.append((on_delivery, message))
                self._reported.notify_all()

    def _report(self, timeout: float) -> int:
        with self._reported:
            if (self.hold or not self._waiting) and timeout > 0:
                self._reported.wait(timeout)
            if self.hold:
                return 0
            due, self._waiting = self._waiting, []
        for callback, message in due:
            callback(self.fail, message)
        return len(due)

    def poll(self, timeout: float = 0.0) -> int:
        return self._report(timeout)

    def flush(self, timeout: float = 0.0) -> int:
        self._report(0.0)
        return len(self._waiting)

    def purge(self, *args: Any, **kwargs: Any) -> None:
        """Drop the reports still held back, as librdkafka's purge() fails its queue."""
        with self._reported:
            self.purged = len(self._waiting)
            self._waiting = []

    def release(self) -> None:
        """Stop holding reports back: the next poll() or flush() delivers them."""
        with self._reported:
            self.hold = False
            self._reported.notify_all()

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
    users: int = 1_000_000,
    products: int = 200,
    traffic: Traffic | None = None,
    warm: bool = True,
) -> tuple[MemorySink, RunSummary]:
    """`count` records of a seeded, simulated-time run, kept in a MemorySink. `warm`:
    start with the visits in progress that the rate keeps going (their earlier events
    are not in the output); False: every visit starts with its first event."""
    config = GeneratorConfig(
        seed=seed,
        users=users,
        products=products,
        chaos=chaos or Chaos(),
        funnel=funnel or Funnel(),
        traffic=traffic or Traffic(),
    )
    sink = MemorySink()
    stream = EventStream(
        config, SimulatedClock(parse_start(start), step_ms), rate=None if warm else 0.0
    )
    return sink, run(stream, sink, count=count)


def flush_events(at: datetime, partitions: int) -> list[tuple[int, bytes, bytes]]:
    """(partition, key, record): one valid page view at `at` for every partition, each in
    a session of its own. Produced to those partitions, they move every partition's
    watermark past `at`, so that the windows before it close (tests and benches)."""
    out = []
    for partition in range(partitions):
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
        out.append((partition, session.encode(), json.dumps(event).encode()))
    return out


def free_ports(n: int) -> list[int]:
    """n TCP ports that are free on 127.0.0.1 right now (all held until all are found)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def settings_on_free_ports(
    state_dir: Path, cache_dir: Path, java_home: Path | None = None, **flink: Any
) -> Settings:
    """Settings of a local stack under state_dir whose every port is free, so it runs
    beside a developer's stack on the default ports. Extra keywords go to FlinkSettings."""
    p = free_ports(15)
    return Settings(
        state_dir=state_dir,
        cache_dir=cache_dir,
        java_home=java_home,
        kafka=KafkaSettings(port=p[0], controller_port=p[1]),
        pinot=PinotSettings(
            zookeeper_port=p[2],
            controller_port=p[3],
            broker_port=p[4],
            server_netty_port=p[5],
            server_admin_port=p[6],
        ),
        flink=FlinkSettings(
            rest_port=p[7],
            rpc_port=p[8],
            blob_port=p[9],
            taskmanager_rpc_port=p[10],
            taskmanager_data_port=p[11],
            gateway_port=p[12],
            **flink,
        ),
        collector=CollectorSettings(port=p[13]),
        dashboard=DashboardSettings(port=p[14]),
    )
