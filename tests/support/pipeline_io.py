"""Feeding the shared pipeline and reading its results back from Pinot."""

from __future__ import annotations

import json
import time
import uuid
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from confluent_kafka import KafkaError, KafkaException, TopicPartition

from rta.kafka.client import make_consumer, make_producer, produce_waiting
from rta.pinot.query import PinotClient, PinotQueryError
from rta.settings import Settings
from rta.testing import flush_events


def session_key(line: bytes) -> bytes | None:
    """Key a record by its session_id, as every rta producer does; None if unreadable."""
    try:
        value = json.loads(line)
        return str(value["session_id"]).encode() if isinstance(value, dict) else None
    except (ValueError, KeyError):
        return None


def partition_of(key: bytes | None, partitions: int) -> int:
    """The partition librdkafka's default partitioner (consistent_random: CRC-32 of the
    key) picks; records without a key go to partition 0 here."""
    return zlib.crc32(key) % partitions if key is not None else 0


def produce_lines(
    settings: Settings, lines: Iterable[bytes], *, rate: float = 0.0
) -> list[tuple[int, bytes]]:
    """Produce keyed by session_id, each to the partition the default partitioner would
    pick; return (partition, record) in production order, for the oracle. `rate` > 0
    spreads the records over time (records per second), as a live stream arrives."""
    producer = make_producer(settings)
    produced: list[tuple[int, bytes]] = []
    started = time.monotonic()
    for i, line in enumerate(lines):
        if rate > 0:
            producer.poll(0)
            delay = started + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        key = session_key(line)
        partition = partition_of(key, settings.kafka.partitions)
        produce_waiting(producer, settings.kafka.raw_topic, line, key, partition=partition)
        produced.append((partition, line))
    remaining = producer.flush(60)
    assert remaining == 0, f"{remaining} records not delivered"
    return produced


# Errors a topic shows while its partitions are still getting leaders.
_SETTLING = {
    KafkaError.NOT_LEADER_FOR_PARTITION,
    KafkaError.LEADER_NOT_AVAILABLE,
    KafkaError.UNKNOWN_TOPIC_OR_PART,
    KafkaError._TIMED_OUT,
}


def end_offsets(settings: Settings, topic: str, timeout_s: float = 30) -> dict[int, int]:
    """Each partition's end offset (where records written from now on will start);
    retried while fresh topics elect leaders."""
    consumer = make_consumer(settings, f"rta-test-{uuid.uuid4()}")
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                parts = consumer.list_topics(topic, timeout=10).topics[topic].partitions
                return {
                    p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                    for p in parts
                }
            except KafkaException as exc:
                err = exc.args[0]
                if time.monotonic() > deadline or not (err.retriable() or err.code() in _SETTLING):
                    raise
                time.sleep(0.5)
    finally:
        consumer.close()


@dataclass(frozen=True)
class Record:
    partition: int
    offset: int
    headers: dict[str, str]
    value: dict[str, Any]


def records_since(
    settings: Settings, topic: str, since: dict[int, int], quiet_s: float = 3.0
) -> list[Record]:
    """Every record of `topic` after the offsets `since`, read until `quiet_s` pass with
    nothing new."""
    consumer = make_consumer(settings, f"rta-test-{uuid.uuid4()}")
    found: list[Record] = []
    try:
        consumer.assign([TopicPartition(topic, p, o) for p, o in since.items()])
        last = time.monotonic()
        while time.monotonic() - last < quiet_s:
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            last = time.monotonic()
            headers = {k: v.decode() for k, v in msg.headers() or []}
            value = json.loads(msg.value()) if msg.value() else {}
            found.append(Record(msg.partition(), msg.offset(), headers, value))
    finally:
        consumer.close()
    return found


@dataclass(frozen=True)
class RawRecord:
    """A record as Kafka holds it: bytes that need not be JSON (dead letters)."""

    partition: int
    value: bytes
    key: bytes | None
    headers: dict[str, bytes]


def records_to_end(
    settings: Settings, topic: str, since: dict[int, int], timeout_s: float = 30.0
) -> list[RawRecord]:
    """Every record of `topic` after the offsets `since` up to each partition's end now:
    exact, without waiting for quiet, once the producer has had its writes confirmed."""
    end = end_offsets(settings, topic)
    consumer = make_consumer(settings, f"rta-test-{uuid.uuid4()}")
    found: list[RawRecord] = []
    try:
        consumer.assign([TopicPartition(topic, p, since.get(p, 0)) for p in end])
        position = {p: since.get(p, 0) for p in end}
        deadline = time.monotonic() + timeout_s
        while any(position[p] < end[p] for p in end):
            assert time.monotonic() < deadline, f"timed out reading {topic}: {position} < {end}"
            for msg in consumer.consume(10_000, timeout=1.0):
                assert msg.error() is None, msg.error()
                if msg.offset() >= end[msg.partition()]:
                    continue
                position[msg.partition()] = msg.offset() + 1
                found.append(
                    RawRecord(msg.partition(), msg.value(), msg.key(), dict(msg.headers() or []))
                )
    finally:
        consumer.close()
    return found


def flush_watermark(settings: Settings, at: datetime) -> None:
    """One valid event at `at` in every partition, so every partition's watermark passes it."""
    producer = make_producer(settings)
    for partition, key, record in flush_events(at, settings.kafka.partitions):
        produce_waiting(producer, settings.kafka.raw_topic, record, key, partition=partition)
    assert producer.flush(30) == 0


def millis(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def later(dt: datetime, **delta: float) -> datetime:
    return dt + timedelta(**delta)


def wait_until(
    check: Callable[[], bool], timeout_s: float, what: str, interval_s: float = 1.0
) -> float:
    start = time.monotonic()
    while True:
        try:
            if check():
                return time.monotonic() - start
        except PinotQueryError:
            pass  # a table still loading answers with an error; keep polling
        if time.monotonic() - start > timeout_s:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(interval_s)


def query_all(settings: Settings, sql: str) -> list[dict[str, Any]]:
    with PinotClient(settings.pinot.broker) as client:
        return client.query(sql + " LIMIT 1000000").records()
