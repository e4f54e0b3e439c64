"""What the pipeline panel shows beyond rta.health: Kafka's end offsets per partition
with the Flink source's committed offsets (its lag), and produce rates between two
readings. (The collector's counters are rta.health.collector_health.)

Like rta.health's probes, these never raise: a component that does not answer gives
its state with `error` set, so the page can show the rest.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rta.settings import Settings

__all__ = [
    "KafkaState",
    "Rates",
    "TopicState",
    "kafka_state",
]


def _short(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]


@dataclass(frozen=True)
class TopicState:
    name: str
    end_offsets: dict[int, int]
    """Partition -> end offset (the next record's offset)."""
    committed: dict[int, int] | None = None
    """Partition -> offset the Flink source committed (at its last checkpoint); only
    for the topic the job reads, None when it committed nothing yet."""

    @property
    def end_offset(self) -> int:
        return sum(self.end_offsets.values())

    @property
    def lag(self) -> int | None:
        if self.committed is None:
            return None
        return sum(max(0, end - self.committed.get(p, 0)) for p, end in self.end_offsets.items())


@dataclass(frozen=True)
class KafkaState:
    bootstrap: str
    topics: list[TopicState] = field(default_factory=list)
    error: str | None = None


def kafka_state(settings: Settings, timeout_s: float) -> KafkaState:
    """End offsets of rta's topics, and the Flink consumer group's committed offsets on
    raw_events (Flink's Kafka source commits them at each checkpoint)."""
    from confluent_kafka import KafkaException, TopicPartition

    from rta.kafka.client import make_consumer
    from rta.kafka.topics import topic_specs

    bootstrap = settings.kafka.bootstrap
    # The job's group id lets committed() read its offsets; without subscribe() this
    # consumer never joins the group, and with auto commit off it writes nothing.
    try:
        consumer = make_consumer(
            settings,
            settings.flink.consumer_group,
            **{"socket.timeout.ms": max(10, int(timeout_s * 1000))},
        )
    except KafkaException as exc:
        return KafkaState(bootstrap, error=f"kafka: {_short(exc)}")
    try:
        meta = consumer.list_topics(timeout=timeout_s)
        topics: list[TopicState] = []
        raw = settings.kafka.raw_topic
        for spec in topic_specs(settings):
            info = meta.topics.get(spec.name)
            if info is None or info.error is not None:
                continue
            ends = {
                p: consumer.get_watermark_offsets(
                    TopicPartition(spec.name, p), timeout=timeout_s, cached=False
                )[1]
                for p in sorted(info.partitions)
            }
            committed = None
            if spec.name == raw:
                got = consumer.committed([TopicPartition(raw, p) for p in ends], timeout=timeout_s)
                # A negative offset is librdkafka's "nothing committed".
                committed = {tp.partition: tp.offset for tp in got if tp.offset >= 0} or None
            topics.append(TopicState(spec.name, ends, committed))
        if not topics:
            return KafkaState(bootstrap, error=f"kafka: none of rta's topics on {bootstrap}")
        return KafkaState(bootstrap, topics)
    except KafkaException as exc:
        return KafkaState(
            bootstrap, error=f"kafka: no answer from {bootstrap} ({_short(exc)}); is it up?"
        )
    finally:
        consumer.close()


class Rates:
    """Per-second rates of counters between two readings (produce rates from end
    offsets), kept in the app between refreshes. Thread-safe: the app answers
    requests from a thread pool."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, min_gap_s: float = 1.0):
        self._clock = clock
        self._min_gap_s = min_gap_s
        self._last: dict[str, tuple[float, int]] = {}
        self._rate: dict[str, float] = {}
        self._lock = threading.Lock()

    def update(self, key: str, value: int) -> float | None:
        """The rate since the previous reading of `key` (None for the first). Readings
        closer together than min_gap_s (two tabs refreshing) keep the last rate."""
        now = self._clock()
        with self._lock:
            last = self._last.get(key)
            if last is None or value < last[1]:
                # First reading, or the counter went back (a recreated topic): start over.
                self._last[key] = (now, value)
                self._rate.pop(key, None)
                return None
            if now - last[0] >= self._min_gap_s:
                self._rate[key] = (value - last[1]) / (now - last[0])
                self._last[key] = (now, value)
            return self._rate.get(key)
