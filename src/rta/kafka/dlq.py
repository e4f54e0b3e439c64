"""The dead-letter topic: rejected input is kept, with the reason, never dropped."""

from __future__ import annotations

from confluent_kafka import Producer

from rta.kafka.client import produce_waiting

REASON_HEADER = "x-rta-reason"
SOURCE_HEADER = "x-rta-source"


def dlq_headers(reason: str, source: str) -> list[tuple[str, bytes]]:
    """Why a record was rejected and where it came from (FILE:LINE, collector:KEY:INDEX)."""
    return [(REASON_HEADER, reason.encode()), (SOURCE_HEADER, source.encode())]


def send_to_dlq(
    producer: Producer, topic: str, raw: bytes, reason: str, source: str, key: bytes | None = None
) -> None:
    """Produce the original bytes untouched; why and where travel in headers."""
    produce_waiting(producer, topic, raw, key, headers=dlq_headers(reason, source))
