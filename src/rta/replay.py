"""Replay a JSON-lines file of events into Kafka, in file order, bytes untouched.

Each line is checked against the event contract first. A line that fails goes
to the dead-letter topic with the reason and its FILE:LINE, is counted, and
the replay goes on: one bad line must not stop a backfill, and none is lost.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from rta.errors import RtaError
from rta.events import EventError, parse_event_json
from rta.generator.progress import ProgressDisplay
from rta.kafka.client import POLL_EVERY, produce_waiting, timed_flush
from rta.kafka.delivery import DeliveryTracker, KafkaUnavailableError, connect_producer
from rta.kafka.dlq import send_to_dlq
from rta.pacing import Pacer
from rta.settings import Settings

__all__ = ["ProducerLike", "ReplayError", "ReplaySummary", "replay_file"]

# How many rejection reasons the summary keeps (all are in the DLQ headers).
_KEEP_REASONS = 5


class ReplayError(RtaError):
    """The replay cannot start or could not deliver (missing file, Kafka down)."""


class ProducerLike(Protocol):
    """The part of confluent_kafka.Producer that replay uses (a fake in unit tests)."""

    def produce(self, topic: str, *args: Any, **kwargs: Any) -> None: ...

    def poll(self, timeout: float = ...) -> int: ...

    def flush(self, timeout: float = ...) -> int: ...


@dataclass
class ReplaySummary:
    sent: int = 0
    rejected: int = 0
    blank: int = 0
    undelivered: int = 0
    reasons: list[str] = field(default_factory=list)
    """The first few rejections as 'LINE: field: why'."""
    elapsed_s: float = 0.0
    interrupted: bool = False
    waited_s: float = 0.0
    """Seconds spent waiting for Kafka: room in the full local queue, the final flush."""


def _key_of(raw: bytes) -> bytes | None:
    """session_id of a rejected line if it has one, so the DLQ is partitioned alike."""
    try:
        value = json.loads(raw).get("session_id")
    except (ValueError, UnicodeDecodeError, AttributeError):
        return None
    return value.encode() if isinstance(value, str) else None


def replay_file(
    path: Path,
    settings: Settings,
    *,
    topic: str | None = None,
    rate: float = 0.0,
    producer: ProducerLike | None = None,
    tracker: DeliveryTracker | None = None,
    stop: threading.Event | None = None,
    progress: ProgressDisplay | None = None,
    connect_timeout_s: float | None = None,
) -> ReplaySummary:
    """Produce every valid line of `path` to `topic` (default raw_events), keyed by
    its session_id; route every invalid line to the DLQ. Blank lines are skipped.

    Raises ReplayError if the file cannot be read, Kafka does not answer within
    connect_timeout_s (default: rta.kafka.delivery.DEFAULT_CONNECT_TIMEOUT_S), or
    records were not delivered. Pass `producer` to use another (e.g. a recording fake).
    """
    if not path.is_file():
        raise ReplayError(f"no such file: {path}")
    topic = topic or settings.kafka.raw_topic
    dlq = settings.kafka.dlq_topic
    if producer is None:
        try:
            producer, tracker = connect_producer(settings, [topic, dlq], connect_timeout_s)
        except KafkaUnavailableError as exc:
            raise ReplayError(str(exc)) from None
    tracker = tracker or DeliveryTracker()
    stop = stop or threading.Event()
    progress = progress or ProgressDisplay("", enabled=False)
    summary = ReplaySummary()
    pacer = Pacer(rate)
    done = 0
    try:
        with path.open("rb") as f, progress:
            for lineno, line in enumerate(f, 1):
                if stop.is_set():
                    summary.interrupted = True
                    break
                raw = line.rstrip(b"\r\n")  # the line end only: the event stays as written
                if not raw.strip():
                    summary.blank += 1
                    continue
                try:
                    event = parse_event_json(raw)
                except EventError as exc:
                    send_to_dlq(
                        producer,  # type: ignore[arg-type]
                        dlq,
                        raw,
                        exc.reason,
                        f"{path}:{lineno}",
                        key=_key_of(raw),
                    )
                    summary.rejected += 1
                    if len(summary.reasons) < _KEEP_REASONS:
                        summary.reasons.append(f"line {lineno}: {exc.reason}")
                else:
                    summary.waited_s += produce_waiting(
                        producer, topic, raw, event.session_id.encode()
                    )
                    summary.sent += 1
                done += 1
                if not done % POLL_EVERY:
                    producer.poll(0)
                    progress.advance(POLL_EVERY)
                pacer.wait(done)
            progress.advance(done % POLL_EVERY)
    except OSError as exc:
        raise ReplayError(f"cannot read {path}: {exc.strerror}") from None
    finally:
        left, took = timed_flush(producer, 60.0)
        summary.waited_s += took
        summary.undelivered = left + tracker.failed
        summary.elapsed_s = pacer.elapsed_s
    if summary.undelivered:
        why = "; ".join(tracker.reasons) or "not delivered before the flush timeout"
        raise ReplayError(f"{summary.undelivered} record(s) were not delivered: {why}")
    return summary
