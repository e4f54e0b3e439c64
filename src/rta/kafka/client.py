"""Factories for confluent-kafka clients configured the way rta needs them."""

from __future__ import annotations

from typing import Any

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient

from rta.settings import Settings


def producer_config(settings: Settings, **overrides: Any) -> dict[str, Any]:
    """Idempotent, acks=all, compressed: no duplicates or losses from producer retries."""
    conf: dict[str, Any] = {
        "bootstrap.servers": settings.kafka.bootstrap,
        "enable.idempotence": True,
        "acks": "all",
        "compression.type": "lz4",
        "linger.ms": 20,
        "batch.size": 1_000_000,
        "queue.buffering.max.messages": 1_000_000,
        "queue.buffering.max.kbytes": 1_048_576,
    }
    conf.update(overrides)
    return conf


def make_producer(settings: Settings, **overrides: Any) -> Producer:
    return Producer(producer_config(settings, **overrides))


def produce_waiting(
    producer: Any, topic: str, value: str | bytes, key: bytes | None, **kw: Any
) -> None:
    """produce(), serving delivery reports while librdkafka's local queue is full.

    The one place that handles BufferError: every rta producer (generator, replay,
    dead-letter topic) goes through it rather than dropping or raising on backpressure.
    """
    while True:
        try:
            producer.produce(topic, value, key, **kw)
            return
        except BufferError:
            producer.poll(0.05)


def make_consumer(settings: Settings, group_id: str, **overrides: Any) -> Consumer:
    conf: dict[str, Any] = {
        "bootstrap.servers": settings.kafka.bootstrap,
        "group.id": group_id,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "isolation.level": "read_committed",
    }
    conf.update(overrides)
    return Consumer(conf)


def make_admin(settings: Settings) -> AdminClient:
    return AdminClient({"bootstrap.servers": settings.kafka.bootstrap})
