"""Kafka's delivery reports, bridged to the event loop: a request's records are
acknowledged only when the broker has confirmed every one of them.

librdkafka reports deliveries through callbacks that run inside `poll()`, in whichever
thread calls it. One background thread polls; each request's records share one
counter, and the request's future is settled once, from that thread, when the last
report of its records arrives. A wake-up of the loop per request, not per record,
keeps the bridge cheap at tens of thousands of records a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Sequence
from typing import Any, NamedTuple, Protocol

from confluent_kafka import KafkaError, KafkaException, Message

__all__ = ["Delivery", "DeliveryFailed", "OutRecord", "ProducerLike"]

# How long one poll() waits for reports; also how soon the thread notices a stop.
_POLL_S = 0.1


class ProducerLike(Protocol):
    """The part of confluent_kafka.Producer the bridge uses (a fake in unit tests)."""

    def produce(self, topic: str, *args: Any, **kwargs: Any) -> None: ...

    def poll(self, timeout: float = ...) -> int: ...

    def flush(self, timeout: float = ...) -> int: ...


class DeliveryFailed(Exception):
    """Kafka did not confirm every record of a request (refused, or not in time)."""


# A NamedTuple, not a frozen dataclass: one is made per event, and a frozen dataclass's
# __init__ (object.__setattr__ per field) costs ~3 times as much.
class OutRecord(NamedTuple):
    topic: str
    value: bytes
    key: bytes | None
    headers: list[tuple[str, bytes]] | None = None


class _Pending:
    """The reports still due for one request's records."""

    def __init__(self, loop: asyncio.AbstractEventLoop, records: int) -> None:
        self.future: asyncio.Future[list[str]] = loop.create_future()
        self._loop = loop
        self._lock = threading.Lock()
        # One more than the records: the request's own hold, released by seal() once
        # every record is produced, so reports arriving in between cannot settle the
        # future early. Counted up front, not a locked increment per record.
        self._due = records + 1
        self._errors: list[str] = []

    def report(self, err: KafkaError | None, msg: Message | None = None) -> None:
        with self._lock:
            if err is not None:
                self._errors.append(err.str())
            self._due -= 1
            done = self._due == 0
        if done:
            # RuntimeError: the loop is closed, so nobody waits for this request any more.
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._settle)

    def fail(self, why: str) -> None:
        with self._lock:
            self._errors.append(why)

    def seal(self) -> None:
        self.report(None)

    def _settle(self) -> None:
        if not self.future.done():  # a request that gave up has cancelled it
            self.future.set_result(self._errors)


class Delivery:
    """Produces a request's records and waits for the broker to confirm all of them."""

    def __init__(self, producer: ProducerLike) -> None:
        self.producer = producer
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._poll, name="rta-collector-poll", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.producer.poll(_POLL_S)

    def close(self, timeout_s: float) -> int:
        """Stop polling and deliver what is still queued; return how many records were
        not delivered within timeout_s."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        return self.producer.flush(timeout_s)

    async def send(self, records: Sequence[OutRecord], timeout_s: float) -> None:
        """Produce `records` and return once Kafka has confirmed every one.

        Raises DeliveryFailed when a record is refused (locally: queue full, too large;
        or by the broker) or not confirmed within timeout_s. Records already handed to
        librdkafka may still be written after that: the caller must treat the whole
        request as not acknowledged, and the client's retry as a possible duplicate
        (the pipeline drops those by event_id).
        """
        pending = _Pending(asyncio.get_running_loop(), len(records))
        produce, report = self.producer.produce, pending.report
        for i, (topic, value, key, headers) in enumerate(records):
            try:
                produce(topic, value, key, headers=headers, on_delivery=report)
            except (BufferError, KafkaException) as exc:
                # Not queued, so no report will come for it nor for the records not
                # tried. BufferError: librdkafka's queue is full, which happens when
                # the broker has been away a while.
                pending.fail(f"{topic}: {exc}")
                for _ in range(len(records) - i):
                    pending.report(None)
                break
        pending.seal()
        try:
            errors = await asyncio.wait_for(pending.future, timeout_s)
        except TimeoutError:
            raise DeliveryFailed(
                f"Kafka did not confirm the events within {timeout_s:g} s"
            ) from None
        if errors:
            raise DeliveryFailed(f"Kafka did not take the events: {errors[0]}")
