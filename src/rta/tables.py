"""The tables rta serves, declared once: name, Kafka topic, key and time columns.

Kafka topics, Pinot table creation, health probes, `rta report` and the example
queries derive from these definitions; a unit test checks the Flink SQL sinks and
the Pinot JSON files against them (tests/unit/test_tables.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from rta.settings import Settings

__all__ = [
    "ACTIVE_USERS",
    "PRODUCTS",
    "RAW_EVENTS",
    "RESULTS",
    "SESSIONS",
    "TABLES",
    "Table",
    "table_topic",
]


@dataclass(frozen=True)
class Table:
    name: str
    """The Pinot table; for a result also the Flink sink and its Kafka topic."""
    key: tuple[str, ...]
    """Primary key: the Flink sink's, the Kafka message key's fields, Pinot's."""
    time_column: str
    """Pinot's time column (segment time boundaries)."""
    newest_column: str
    """Epoch-ms column whose maximum tells how fresh the table is."""
    purpose: str
    compacted: bool = False
    """A changelog whose newest value per key is the truth (compacted topic)."""


ACTIVE_USERS = Table(
    "active_users_per_minute",
    ("window_start",),
    "window_start",
    "window_end",
    "Flink: distinct users per 1-minute window, keyed by window_start",
)
PRODUCTS = Table(
    "product_analytics_per_minute",
    ("window_start", "product_id"),
    "window_start",
    "window_end",
    "Flink: product views per 1-minute window, keyed by window_start+product_id",
)
SESSIONS = Table(
    "session_analytics",
    ("session_id", "user_id"),
    "session_end",
    "session_end",
    "Flink upsert-kafka changelog of per-session metrics, keyed by session_id and user_id",
    compacted=True,
)
RAW_EVENTS = Table(
    "raw_events",
    ("event_id",),
    "event_time_ms",
    "event_time_ms",
    "every event the contract accepts, once (reads the job's accepted events)",
)

# Flink's three results, in the seed's order.
RESULTS = (ACTIVE_USERS, PRODUCTS, SESSIONS)
# Pinot's tables, in creation order.
TABLES = (RAW_EVENTS, *RESULTS)


def table_topic(table: Table, settings: Settings) -> str:
    """The Kafka topic a Pinot table consumes."""
    if table is RAW_EVENTS:
        # Not raw_events itself: the job's accepted events, so that the table holds
        # exactly what the contract accepts, once (docs/pipeline.md, "One contract").
        return settings.kafka.accepted_topic
    return table.name
