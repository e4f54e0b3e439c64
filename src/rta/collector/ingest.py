"""A request body into records: each event checked with the event contract (rta.events),
valid ones for raw_events, rejected ones for the dead-letter topic with the reason.

Three body forms: one JSON object, a JSON array of objects (`application/json`), or
one object per line (`application/x-ndjson`). An NDJSON line and a single object travel
to Kafka byte for byte as received, as `rta replay` sends a file's lines; an element of
an array is re-encoded on its own, since its bytes are not separate in the body.

Decoding and re-encoding use the standard library's json, the contract's own decoder,
so that an event is accepted or rejected here exactly as `rta replay` would judge the
same event on a line of its own, and re-encoding gives back every value it decoded.
A line or single object is decoded by orjson first (~1.4 µs instead of ~4.5 µs for a
400-byte event) and its result used only where it is the object json.loads would
give: a JSON object of scalars, none of them a float past 64-bit integers (orjson
turns a bigger integer into a float). Anything else, orjson's errors included, is decoded
by json as before, so verdicts and messages stay json's. Array elements are re-encoded,
so arrays are always decoded by json, which gives back exactly what it decoded.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any

import orjson

from rta.events import EventError, parse_event, parse_event_json
from rta.kafka.client import MAX_MESSAGE_BYTES

__all__ = [
    "Batch",
    "BodyKind",
    "Rejected",
    "TooManyEvents",
    "UnsupportedMediaType",
    "Valid",
    "body_kind",
    "parse_body",
]

# Room left in a Kafka message for the key and the dead-letter headers.
MAX_EVENT_BYTES = MAX_MESSAGE_BYTES - 64 * 1024


class BodyKind(enum.StrEnum):
    json = "application/json"
    ndjson = "application/x-ndjson"


class UnsupportedMediaType(ValueError):
    """The body is neither JSON nor NDJSON (HTTP 415)."""


class TooManyEvents(ValueError):
    """More events than one request may carry (HTTP 413)."""


def body_kind(content_type: str | None) -> BodyKind:
    """The body form a Content-Type names; parameters (charset) are ignored, since both
    forms are UTF-8 by definition."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    try:
        return BodyKind(media)
    except ValueError:
        raise UnsupportedMediaType(
            f"Content-Type {media or '(none)'!r} is not accepted: send "
            f"{BodyKind.json.value} (one event or an array) or {BodyKind.ndjson.value}"
        ) from None


# Not frozen: one is made per event, and a frozen dataclass's __init__ (through
# object.__setattr__) costs ~1.3 µs, a slotted one's ~0.5 µs. Nothing changes them.
@dataclass(slots=True)
class Valid:
    index: int
    value: bytes
    key: bytes
    """session_id, as every rta producer keys raw_events."""


@dataclass(slots=True)
class Rejected:
    index: int
    field: str
    kind: str
    reason: str
    value: bytes | None
    """What the dead-letter topic keeps; None when there is nothing to keep."""
    key: bytes | None = None


@dataclass
class Batch:
    valid: list[Valid] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.valid) + len(self.rejected)


def _session_key(data: Any) -> bytes | None:
    """session_id of a rejected event if it has one, so the DLQ is partitioned alike."""
    value = data.get("session_id") if isinstance(data, dict) else None
    return value.encode() if isinstance(value, str) else None


def _check(batch: Batch, index: int, raw: bytes, data: Any) -> None:
    """Validate one decoded event (data) whose bytes for Kafka are raw."""
    if len(raw) > MAX_EVENT_BYTES:
        # Too large for a Kafka message, so not even the dead-letter topic can keep it.
        batch.rejected.append(
            Rejected(
                index,
                "event",
                "too_large",
                f"event: {len(raw):,} bytes, more than the {MAX_EVENT_BYTES:,} a Kafka "
                "message can carry",
                None,
            )
        )
        return
    try:
        event = parse_event(data)
    except EventError as exc:
        batch.rejected.append(
            Rejected(index, exc.field, exc.kind, exc.reason, raw, _session_key(data))
        )
    else:
        batch.valid.append(Valid(index, raw, event.session_id.encode()))


# orjson decodes an integer beyond int64/uint64 as a float where json gives an int (a
# strict `quantity` takes the one and refuses the other), and nests 1024 deep where
# json's limit is the interpreter's recursion limit less the stack in use.
_INT64 = float(2**63)
_SCALARS = frozenset({str, int, bool, type(None)})


def _decode(raw: bytes) -> Any:
    """json.loads(raw), the same object, through orjson when that is sure to give it: a
    JSON object of scalars with no float that could have been a big integer. Only
    top-level values are validated, and an object with a nested value is left to json."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)  # refuses it too, and words the message
    if data.__class__ is not dict:
        return json.loads(raw)
    for v in data.values():
        if v.__class__ not in _SCALARS and (v.__class__ is not float or abs(v) >= _INT64):
            return json.loads(raw)
    return data


def _encode(item: Any) -> bytes:
    return json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode()


def _check_line(batch: Batch, index: int, raw: bytes) -> None:
    try:
        data = _decode(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        try:  # for the contract's own message
            parse_event_json(raw)
        except EventError as exc:
            value = raw if len(raw) <= MAX_EVENT_BYTES else None
            batch.rejected.append(Rejected(index, exc.field, exc.kind, exc.reason, value))
        return
    _check(batch, index, raw, data)


def parse_body(body: bytes, kind: BodyKind, *, max_batch: int) -> Batch:
    """Every event of the body, valid or rejected, with its 0-based index in the batch
    (array position, or the n-th non-blank NDJSON line). A JSON body that does not
    decode is one rejected item (index 0), kept whole in the dead-letter topic.

    Raises TooManyEvents beyond max_batch events, before validating any.
    """
    batch = Batch()
    if kind is BodyKind.ndjson:
        lines = [s for s in (line.rstrip(b"\r") for line in body.split(b"\n")) if s.strip()]
        _limit(len(lines), max_batch)
        for index, line in enumerate(lines):
            _check_line(batch, index, line)
    elif not body.strip():
        pass
    else:
        body = body.strip()
        try:
            # An array's elements are re-encoded from what json decoded (see above).
            data = json.loads(body) if body.startswith(b"[") else _decode(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            _check_line(batch, 0, body)  # rejected, with the contract's message
            return batch
        if isinstance(data, list):
            _limit(len(data), max_batch)
            for index, item in enumerate(data):
                _check(batch, index, _encode(item), item)
        else:
            _check(batch, 0, body, data)
    if not batch.size:
        batch.rejected.append(
            Rejected(0, "body", "empty", "body: no events (an empty body or array)", None)
        )
    return batch


def _limit(count: int, max_batch: int) -> None:
    if count > max_batch:
        raise TooManyEvents(f"{count:,} events in one request; at most {max_batch:,} are taken")
