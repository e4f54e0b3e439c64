"""Where the dashboard's figures come from: Pinot's broker for the analytics, and one
probe per component for the pipeline panel. Tests hand the app fakes of these."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from rta.dashboard.panels import Query
from rta.dashboard.probes import KafkaState, kafka_state
from rta.health import (
    CollectorHealth,
    FlinkHealth,
    PinotTableHealth,
    collector_health,
    flink_health,
    pinot_health,
)
from rta.settings import Settings

__all__ = ["Sources", "live_sources"]


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class Sources:
    query: Query
    """Pinot SQL -> QueryResult; raises PinotQueryError (PinotUnavailableError if the
    broker does not answer)."""
    kafka: Callable[[], KafkaState]
    flink: Callable[[], FlinkHealth]
    tables: Callable[[], list[PinotTableHealth]]
    collector: Callable[[], CollectorHealth]
    close: Callable[[], None] = _nothing
    """Releases connections when the app stops."""


def live_sources(settings: Settings) -> Sources:
    """The real engines the settings name."""
    from rta.pinot.query import PinotClient

    d = settings.dashboard
    client = PinotClient(settings.pinot.broker, timeout_s=d.query_timeout_s)
    return Sources(
        query=client.query,
        kafka=partial(kafka_state, settings, d.probe_timeout_s),
        flink=partial(flink_health, settings, d.probe_timeout_s),
        tables=partial(pinot_health, settings, d.query_timeout_s),
        collector=partial(collector_health, settings, d.probe_timeout_s),
        close=client.close,
    )
