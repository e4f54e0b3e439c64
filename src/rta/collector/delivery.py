"""Kafka's delivery reports, bridged to the event loop: a request's records are
acknowledged only when the broker has confirmed every one of them.

librdkafka reports deliveries through callbacks that run inside `poll()`, in whichever
thread calls it. One background thread polls; each request's records share one
counter, and the request's future is settled once, from that thread, when the last
report of its records arrives. A wake-up of the loop per request, not per record,
keeps the bridge cheap at tens of thousands of records a second.

A producer that has confirmed nothing for `replace_after_s` while requests kept
failing is replaced by a new one. librdkafka drops every broker it knows when a
broker going down answers Metadata with no brokers (Kafka's controlled shutdown
does), and its re-bootstrap does not always bring them back (confluentinc/librdkafka
#5301): such a producer would answer 503 long after Kafka has returned.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, Protocol

from confluent_kafka import KafkaError, KafkaException, Message

__all__ = ["Delivery", "DeliveryFailed", "OutRecord", "ProducerLike"]

log = logging.getLogger(__name__)

# How long one poll() waits for reports; also how soon the thread notices a stop.
_POLL_S = 0.1


class ProducerLike(Protocol):
    """The part of confluent_kafka.Producer the bridge uses (a fake in unit tests)."""

    def produce(self, topic: str, *args: Any, **kwargs: Any) -> None: ...

    def poll(self, timeout: float = ...) -> int: ...

    def flush(self, timeout: float = ...) -> int: ...

    def purge(self, *args: Any, **kwargs: Any) -> None: ...


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
    """Produces a request's records and waits for the broker to confirm all of them.

    `replace`, when given, makes a new producer for one that has confirmed nothing
    for `replace_after_s` seconds while requests failed (see the module's text)."""

    def __init__(
        self,
        producer: ProducerLike,
        *,
        replace: Callable[[], ProducerLike] | None = None,
        replace_after_s: float = 30.0,
        on_replaced: Callable[[], Any] | None = None,
    ) -> None:
        self.producer = producer
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._replace = replace
        self._replace_after_s = replace_after_s
        self._on_replaced = on_replaced
        self._confirmed_at = time.monotonic()
        self._replacing = threading.Lock()

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._poll, name="rta-collector-poll", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _poll(self) -> None:
        # self.producer is read on every turn: a replaced producer is polled at once.
        while not self._stop.is_set():
            self.producer.poll(_POLL_S)

    def _failed(self) -> None:
        """A request failed: replace the producer if it has confirmed nothing for long."""
        quiet_s = time.monotonic() - self._confirmed_at
        if self._replace is None or quiet_s < self._replace_after_s:
            return
        if not self._replacing.acquire(blocking=False):
            return  # another request is replacing it
        try:
            log.warning(
                "Kafka has confirmed no record for %.0f s: replacing the collector's producer",
                quiet_s,
            )
            try:
                new = self._replace()
            except Exception:
                log.exception("cannot make a new Kafka producer; keeping the old one")
                return
            old, self.producer = self.producer, new
            # The new producer gets the whole period before it is judged.
            self._confirmed_at = time.monotonic()
            threading.Thread(
                target=_retire, args=(old,), name="rta-producer-retire", daemon=True
            ).start()
            if self._on_replaced is not None:
                self._on_replaced()
        finally:
            self._replacing.release()

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
            self._failed()
            raise DeliveryFailed(
                f"Kafka did not confirm the events within {timeout_s:g} s"
            ) from None
        if errors:
            self._failed()
            raise DeliveryFailed(f"Kafka did not take the events: {errors[0]}")
        self._confirmed_at = time.monotonic()


def _retire(producer: ProducerLike) -> None:
    """Drop a replaced producer's records: their requests were answered 503 already (the
    clients retry them), and a late delivery would only add a duplicate. Its reports,
    now failures, settle nothing that is still waiting."""
    with contextlib.suppress(Exception):
        producer.purge()
        producer.flush(5.0)
