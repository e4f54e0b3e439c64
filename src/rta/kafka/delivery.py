"""A producer checked against the broker, and the delivery failures it reports.

Shared by every rta producer that must not lose a record silently: the generator's
Kafka sink, `rta replay` and the collector (which needs a report per record, see
rta.collector.delivery, so it checks the broker with check_topics). Delivery reports are
requested for failures only (`delivery.report.only.error`): a Python callback per
delivered message would cost about as much as producing it, while failures are
what must never go unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from rta.errors import ServiceUnavailableError
from rta.kafka.client import make_producer
from rta.settings import Settings

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT_S",
    "DeliveryTracker",
    "KafkaUnavailableError",
    "check_topics",
    "connect_producer",
]

# How long to wait for the broker's first answer before saying it is not there.
DEFAULT_CONNECT_TIMEOUT_S = 10.0


class KafkaUnavailableError(ServiceUnavailableError):
    """The broker cannot be reached or lacks a topic we need."""


@dataclass
class DeliveryTracker:
    """Counts messages that librdkafka reports as failed, and keeps the first reasons."""

    failed: int = 0
    reasons: list[str] = field(default_factory=list)

    def on_delivery(self, err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            self.failed += 1
            if len(self.reasons) < 5:
                self.reasons.append(f"{msg.topic()}: {err.str()}")


def check_topics(
    producer: Producer, settings: Settings, topics: list[str], timeout_s: float | None = None
) -> None:
    """Raise KafkaUnavailableError with a hint when the broker does not answer within
    timeout_s or a topic is missing (rta never lets topics auto-create)."""
    where = settings.kafka.bootstrap
    try:
        metadata = producer.list_topics(timeout=timeout_s or DEFAULT_CONNECT_TIMEOUT_S)
    except KafkaException:
        raise KafkaUnavailableError(
            f"cannot reach Kafka at {where} — is the stack up? (`rta up`)"
        ) from None
    missing = [t for t in topics if t not in metadata.topics]
    if missing:
        raise KafkaUnavailableError(
            f"topic {', '.join(missing)} does not exist on Kafka at {where}; "
            "`rta provision` (or `rta up`) creates rta's topics"
        )


def connect_producer(
    settings: Settings, topics: list[str], timeout_s: float | None = None, **overrides: Any
) -> tuple[Producer, DeliveryTracker]:
    """A producer (rta's idempotent, acks=all config) checked against the broker.

    Raises KafkaUnavailableError (see check_topics).
    """
    tracker = DeliveryTracker()
    producer = make_producer(
        settings,
        **{"delivery.report.only.error": True, "on_delivery": tracker.on_delivery},
        **overrides,
    )
    check_topics(producer, settings, topics, timeout_s)
    return producer, tracker
