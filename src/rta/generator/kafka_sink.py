"""Producing generated events to Kafka at full speed without losing track of a record
(the producer and its delivery tracking: rta.kafka.delivery)."""

from __future__ import annotations

from confluent_kafka import Producer

from rta.generator.sinks import SinkError
from rta.kafka.client import POLL_EVERY, produce_waiting, timed_flush
from rta.kafka.delivery import DeliveryTracker

__all__ = ["KafkaSink"]


class KafkaSink:
    """Records to a topic, keyed; close() flushes and reports any loss."""

    def __init__(
        self,
        producer: Producer,
        tracker: DeliveryTracker,
        topic: str,
        flush_timeout_s: float = 60.0,
    ) -> None:
        self._producer = producer
        self._tracker = tracker
        self.topic = topic
        self._flush_timeout_s = flush_timeout_s
        self.waited_s = 0.0
        """Seconds spent waiting for Kafka: for room in the full local queue, and in the
        final flush (a broker outage shows here, not as lost records)."""

    def write(self, values: list[str], keys: list[bytes]) -> None:
        producer, topic = self._producer, self.topic
        send, poll = producer.produce, producer.poll
        # Delivery reports are served once per POLL_EVERY records, between chunks, so
        # the per-record loop is only the produce() call (positional arguments: the
        # cheapest way into confluent-kafka's argument parsing).
        for start in range(0, len(values), POLL_EVERY):
            end = start + POLL_EVERY
            for value, key in zip(values[start:end], keys[start:end], strict=True):
                try:
                    send(topic, value, key)
                except BufferError:
                    # The local queue is full: serve delivery reports until there is room.
                    self.waited_s += produce_waiting(producer, topic, value, key)
            poll(0)

    def close(self) -> None:
        left, took = timed_flush(self._producer, self._flush_timeout_s)
        self.waited_s += took
        lost = self._tracker.failed + left
        if lost:
            why = "; ".join(self._tracker.reasons) or "not delivered before the flush timeout"
            raise SinkError(f"{lost} record(s) were not delivered to {self.topic}: {why}")
