"""The collector's Prometheus metrics (`GET /metrics`), in a registry of its own.

Its own registry, not prometheus_client's global one: an app is built per test, and
the process-wide collectors (GC, platform) say nothing about ingestion.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE", "Metrics"]

CONTENT_TYPE = CONTENT_TYPE_LATEST

# From a broker on loopback (a few ms) to the produce timeout's range (seconds).
_LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.accepted = Counter(
            "rta_collector_events_accepted",
            "Events confirmed by Kafka in raw_events and reported accepted to the client.",
            registry=self.registry,
        )
        # Labels are the field and pydantic's error type, both from a small fixed set;
        # the reason text quotes the client's values and would make a series per event.
        self.rejected = Counter(
            "rta_collector_events_rejected",
            "Events rejected by the event contract (kept in the dead-letter topic), by "
            "the first field the reason names and the kind of error.",
            ["field", "reason"],
            registry=self.registry,
        )
        self.refused = Counter(
            "rta_collector_requests_refused",
            "Requests refused as a whole, by HTTP status (401, 403, 413, 415, 503).",
            ["status"],
            registry=self.registry,
        )
        self.produce_latency = Histogram(
            "rta_collector_produce_latency_seconds",
            "From handing a request's records to the producer until Kafka confirmed the "
            "last of them (or the request gave up).",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )

        self.producer_replaced = Counter(
            "rta_collector_producer_replacements",
            "Kafka producers replaced because they confirmed nothing for "
            "collector.producer_reset_s while requests failed.",
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
