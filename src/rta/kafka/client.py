"""Factories for confluent-kafka clients configured the way rta needs them."""

from __future__ import annotations

import logging
import time
from typing import Any

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient

from rta.settings import Settings

# librdkafka writes its log lines ("%4|...|rdkafka#producer-3| ... retrying") straight
# to the process's stderr unless given a logger; with one, rta.log decides where they
# go. confluent-kafka queues them and hands them over in poll()/flush() (Producer,
# AdminClient) or poll()/consume() (Consumer), in the calling thread; an AdminClient
# that is never polled drops them with itself.
LIBRDKAFKA_LOGGER = logging.getLogger("rta.kafka.librdkafka")

# Enough to keep librdkafka's queue busy; few enough that poll() stays cheap.
POLL_EVERY = 1000

# librdkafka's message.max.bytes (rta leaves it at its default): produce() refuses a
# larger record, its key and headers included, at once.
MAX_MESSAGE_BYTES = 1_000_000


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
    return Producer(producer_config(settings, **overrides), logger=LIBRDKAFKA_LOGGER)


def produce_waiting(
    producer: Any, topic: str, value: str | bytes, key: bytes | None, **kw: Any
) -> float:
    """produce(), serving delivery reports while librdkafka's local queue is full;
    returns the seconds it waited for room (0.0 when there was room at once).

    Every rta producer (the generator's Kafka sink, replay, the dead-letter topic)
    waits here on backpressure (BufferError) rather than dropping or raising: the queue
    is bounded (queue.buffering.max.*), so a broker outage longer than the queue holds
    slows the producer down instead of losing records.
    """
    started: float | None = None
    while True:
        try:
            producer.produce(topic, value, key, **kw)
            return 0.0 if started is None else time.monotonic() - started
        except BufferError:
            if started is None:
                started = time.monotonic()
            producer.poll(0.05)


# A normal final flush takes milliseconds; a second or more of waiting is an outage or
# back-pressure, which the producers' summaries then name.
WAIT_WORTH_SAYING_S = 1.0


def timed_flush(producer: Any, timeout_s: float) -> tuple[int, float]:
    """flush(): (records still undelivered, seconds it took)."""
    started = time.monotonic()
    left = int(producer.flush(timeout_s))
    return left, time.monotonic() - started


def make_consumer(settings: Settings, group_id: str, **overrides: Any) -> Consumer:
    conf: dict[str, Any] = {
        "bootstrap.servers": settings.kafka.bootstrap,
        "group.id": group_id,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "isolation.level": "read_committed",
    }
    conf.update(overrides)
    return Consumer(conf, logger=LIBRDKAFKA_LOGGER)


def make_admin(settings: Settings) -> AdminClient:
    return AdminClient({"bootstrap.servers": settings.kafka.bootstrap}, logger=LIBRDKAFKA_LOGGER)
