"""What the pipeline did with its input: the running totals the job keeps in its state.

The job writes them to a compacted topic (`pipeline_counts`, one key per outcome and
reason). They are exact: kept in checkpointed state, they count each record once
across failures and restarts, unlike Flink's metrics, which restart from zero with
the job and count replayed records again.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from confluent_kafka import KafkaError, KafkaException, TopicPartition

from rta.kafka.client import make_consumer
from rta.settings import Settings

__all__ = ["PipelineCounts", "read_counts"]


@dataclass(frozen=True)
class PipelineCounts:
    valid: int = 0
    on_time: int = 0
    late: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    """Records that break the contract, per reason ('field: why')."""

    @property
    def read(self) -> int:
        return self.valid + self.rejected_total

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    @property
    def duplicates(self) -> int:
        """Valid records whose event_id had been seen before (within the horizon)."""
        return self.valid - self.on_time - self.late

    @property
    def passed_on(self) -> int:
        return self.on_time + self.late

    def rejected_by_field(self) -> dict[str, int]:
        by_field: dict[str, int] = {}
        for reason, n in self.rejected.items():
            name = reason.split(":", 1)[0]
            by_field[name] = by_field.get(name, 0) + n
        return by_field

    def minus(self, earlier: PipelineCounts) -> PipelineCounts:
        """What happened between two readings."""
        reasons = set(self.rejected) | set(earlier.rejected)
        delta = {r: self.rejected.get(r, 0) - earlier.rejected.get(r, 0) for r in reasons}
        return PipelineCounts(
            self.valid - earlier.valid,
            self.on_time - earlier.on_time,
            self.late - earlier.late,
            {r: n for r, n in delta.items() if n},
        )


def read_counts(settings: Settings, timeout_s: float = 10.0) -> PipelineCounts:
    """The newest totals, read from the start of the counts topic to its end."""
    topic = settings.kafka.counts_topic
    consumer = make_consumer(settings, "rta-counts-reader", **{"enable.partition.eof": True})
    try:
        meta = consumer.list_topics(topic, timeout=timeout_s).topics.get(topic)
        if meta is None or meta.error is not None:
            raise KafkaException(f"topic {topic} not found")
        parts = [TopicPartition(topic, p, 0) for p in meta.partitions]
        ends = {}
        for tp in parts:
            low, high = consumer.get_watermark_offsets(tp, timeout=timeout_s)
            ends[tp.partition] = high
            tp.offset = low
        pending = {p for p, end in ends.items() if end > 0}
        consumer.assign(parts)
        latest: dict[tuple[str, str], int] = {}
        deadline = time.monotonic() + timeout_s
        while pending and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            error = msg.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    pending.discard(msg.partition())
                    continue
                raise KafkaException(error)
            key = json.loads(msg.key() or b"{}")
            ident = (key.get("outcome", ""), key.get("reason", ""))
            value = msg.value()
            if value is None:
                latest.pop(ident, None)
            else:
                latest[ident] = int(json.loads(value)["records"])
            partition, offset = msg.partition(), msg.offset()
            if partition is not None and offset is not None and offset + 1 >= ends[partition]:
                pending.discard(partition)
        if pending:
            # Partial totals would look exact; say that they are not there instead.
            raise KafkaException(f"{topic}: not read to its end within {timeout_s:.0f} s")
    finally:
        consumer.close()
    return PipelineCounts(
        valid=latest.get(("valid", ""), 0),
        on_time=latest.get(("on_time", ""), 0),
        late=latest.get(("late", ""), 0),
        rejected={r: n for (o, r), n in latest.items() if o == "rejected"},
    )
