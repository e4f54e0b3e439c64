"""The topics rta owns, declared once and created explicitly (never auto-created)."""

from __future__ import annotations

from dataclasses import dataclass, field

from confluent_kafka.admin import AdminClient, NewPartitions, NewTopic

from rta.settings import Settings
from rta.tables import RESULTS

# A changelog whose newest value per key is the truth.
_COMPACTED = {"cleanup.policy": "compact", "min.compaction.lag.ms": "60000"}


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict[str, str] = field(default_factory=dict)
    purpose: str = ""


def topic_specs(settings: Settings) -> list[TopicSpec]:
    k = settings.kafka
    return [
        TopicSpec(
            k.raw_topic,
            k.partitions,
            purpose="every accepted event, keyed by session_id",
        ),
        TopicSpec(
            k.dlq_topic,
            k.partitions,
            purpose="rejected records with the reason in the x-rta-reason header",
        ),
        TopicSpec(
            k.accepted_topic,
            k.partitions,
            purpose="Flink: every event the contract accepts, once, keyed by session_id "
            "(Pinot's raw_events table reads it)",
        ),
        TopicSpec(
            k.late_topic,
            k.partitions,
            purpose="Flink: events later than the allowed lateness, keyed by session_id",
        ),
        TopicSpec(
            k.counts_topic,
            1,
            config=_COMPACTED,
            purpose="Flink: running totals of records read, rejected by reason, late",
        ),
        # Flink's results. Keyed by the natural key so that every version of a row
        # lands in one partition, which Pinot's upsert tables require.
        *(
            TopicSpec(
                t.name,
                k.partitions,
                config=_COMPACTED if t.compacted else {},
                purpose=t.purpose,
            )
            for t in RESULTS
        ),
    ]


def ensure_topics(admin: AdminClient, specs: list[TopicSpec], timeout_s: float = 30.0) -> list[str]:
    """Create missing topics and grow partitions that are too few; return what changed.

    Idempotent: an existing topic with enough partitions is left alone. Shrinking is
    impossible in Kafka, so more partitions than asked for is accepted as is.
    """
    existing = admin.list_topics(timeout=timeout_s).topics
    changed: list[str] = []
    new = [
        NewTopic(s.name, num_partitions=s.partitions, replication_factor=1, config=s.config)
        for s in specs
        if s.name not in existing
    ]
    if new:
        for name, fut in admin.create_topics(new, request_timeout=timeout_s).items():
            fut.result()
            changed.append(f"created {name}")
    grow = [
        NewPartitions(s.name, s.partitions)
        for s in specs
        if s.name in existing and len(existing[s.name].partitions) < s.partitions
    ]
    if grow:
        for name, fut in admin.create_partitions(grow, request_timeout=timeout_s).items():
            fut.result()
            changed.append(f"grew {name}")
    return changed
