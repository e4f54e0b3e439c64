"""An independent oracle for the event contract and the three analytics, in plain Python.

The oracle is the yardstick the pipeline is measured against, so it shares NO code
with the product: it imports nothing from `rta`, only the standard library. The event
contract (the seed's schemas, as documented in the product's `rta.events`) and the
seed's three queries are written out again here, from the rules, so that a bug in the
product cannot hide by being shared with its tests.

What it computes, from the raw records produced to `raw_events`:

* `check(record)` applies the event contract and names the first wrong field found;
  records that are not valid events are counted per field and otherwise ignored
  (the pipeline never counts them);
* event time is the timestamp's instant (offset applied) truncated to milliseconds;
  tumbling 1-minute windows are [start, start + 60 s), aligned to the epoch;
* lateness: per Kafka partition, `high` is the newest event time (ms) of the valid
  records seen so far in that partition, the current one included; a valid record
  is late iff its event time is strictly less than `high - bound_ms - allowed_ms`.
  Lateness is judged on every valid record, duplicates included, before
  de-duplication;
* de-duplication: per `event_id`, the first valid record in production order wins;
  later ones are ignored entirely (neither counted nor late);
* `active_users` and `products` count the non-late first deliveries; `sessions`
  (no window) counts every first delivery, late ones included.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = [
    "BASE_FIELDS",
    "EVENT_TYPES",
    "MINUTE_MS",
    "TYPE_FIELDS",
    "ActiveUsers",
    "Expected",
    "ProductMinute",
    "Session",
    "check",
    "compute",
    "compute_lines",
    "epoch_millis",
    "window_start",
]

MINUTE_MS = 60_000

EVENT_TYPES = ("page_view", "product_view", "add_to_cart", "purchase")

# Field kinds: what a field's JSON value must be.
_UUID = "uuid"  # string, canonical lowercase UUID
_TIMESTAMP = "timestamp"  # string, RFC 3339 with offset, a real date and time
_NON_EMPTY = "non_empty"  # string, at least one character
_STRING = "string"  # string, may be empty
_NUMBER = "number"  # JSON number (not bool), finite, >= 0
_QUANTITY = "quantity"  # JSON integer (not bool, not float), >= 1

BASE_FIELDS: dict[str, str] = {
    "event_id": _UUID,
    "event_timestamp": _TIMESTAMP,
    "user_id": _UUID,
    "session_id": _UUID,
    "device_type": _NON_EMPTY,
    "os": _NON_EMPTY,
    "browser": _NON_EMPTY,
    "location": _NON_EMPTY,
}

_PRODUCT: dict[str, str] = {
    "product_id": _NON_EMPTY,
    "product_name": _NON_EMPTY,
    "product_category": _NON_EMPTY,
    "price": _NUMBER,
}

# The fields each event type has besides the base fields and event_type.
TYPE_FIELDS: dict[str, dict[str, str]] = {
    "page_view": {"page_url": _NON_EMPTY, "referrer_url": _STRING, "time_spent": _NUMBER},
    "product_view": dict(_PRODUCT),
    "add_to_cart": {**_PRODUCT, "quantity": _QUANTITY},
    "purchase": {
        **_PRODUCT,
        "quantity": _QUANTITY,
        "total_amount": _NUMBER,
        "order_id": _NON_EMPTY,
    },
}

# Every type-specific field of the seed; one the event's type lacks makes it invalid.
_ALL_TYPE_FIELDS: tuple[str, ...] = tuple(
    dict.fromkeys(name for fields in TYPE_FIELDS.values() for name in fields)
)

# re.ASCII: \d is [0-9] only. fullmatch: a trailing newline is not tolerated
# (`$` alone would match before one). The offset's minutes are 00-59 (RFC 3339's
# time-minute), which datetime.fromisoformat does not check ("+05:60" is +06:00).
_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.ASCII)
_TS_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:[0-5]\d)", re.ASCII
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_millis(timestamp: str) -> int:
    """The instant of an RFC 3339 timestamp in ms since the epoch, offset applied.

    Sub-millisecond digits are truncated (floor), never rounded.
    """
    # timedelta floor division is exact integer arithmetic: microseconds truncate, never round.
    return (datetime.fromisoformat(timestamp) - _EPOCH) // timedelta(milliseconds=1)


def is_uuid(value: str) -> bool:
    """A canonical lowercase UUID, as the contract's ids must be."""
    return _valid(_UUID, value)


def is_timestamp(value: str) -> bool:
    """An RFC 3339 timestamp with an offset that names a real date and time."""
    return _valid(_TIMESTAMP, value)


def window_start(ms: int) -> int:
    """Start of the tumbling 1-minute window (aligned to the epoch) that holds `ms`."""
    return ms - ms % MINUTE_MS


def _reject_constant(name: str) -> Any:
    # NaN, Infinity and -Infinity are not JSON (RFC 8259), though Python's json reads them.
    raise ValueError(f"{name} is not JSON")


def _decode(record: bytes | str) -> Any:
    return json.loads(record, parse_constant=_reject_constant)


def _is_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a double
        return False


def _valid(kind: str, value: object) -> bool:
    if kind == _NUMBER:
        return _is_number(value) and value >= 0  # type: ignore[operator]
    if kind == _QUANTITY:
        return type(value) is int and value >= 1
    if not isinstance(value, str):
        return False
    if kind == _STRING:
        return True
    if kind == _NON_EMPTY:
        return value != ""
    if kind == _UUID:
        return _UUID_RE.fullmatch(value) is not None
    if kind == _TIMESTAMP:
        if _TS_RE.fullmatch(value) is None:
            return False
        try:
            datetime.fromisoformat(value)  # a real calendar date and time, offset < 24 h
        except ValueError:
            return False
        return True
    raise AssertionError(f"unknown field kind {kind!r}")


def _validate(record: bytes | str) -> tuple[str | None, dict[str, Any]]:
    """(None, event) when valid, else (the wrong field's name, {})."""
    try:
        event = _decode(record)
    except (ValueError, RecursionError):  # includes JSONDecodeError and UnicodeDecodeError
        return "event", {}
    if not isinstance(event, dict):
        return "event", {}
    if all(event.get(name) is None for name in [*BASE_FIELDS, "event_type"]):
        return "event", {}  # an object, but nothing of an event in it
    event_type = event.get("event_type")
    if not isinstance(event_type, str) or event_type not in TYPE_FIELDS:
        return "event_type", {}
    fields = TYPE_FIELDS[event_type]
    for name, kind in (BASE_FIELDS | fields).items():
        # A present field whose value is null counts as missing.
        if event.get(name) is None or not _valid(kind, event[name]):
            return name, {}
    for name in _ALL_TYPE_FIELDS:
        # A field of another event type with a value is wrong; a null there is
        # tolerated (it decodes like an absent field), and names that are not seed
        # fields at all are tolerated.
        if event.get(name) is not None and name not in fields:
            return name, {}
    return None, event


def check(record: bytes | str) -> str | None:
    """Apply the event contract to one JSON document (one line of a JSON-lines file).

    Returns None when the record is a valid event, else the name of a wrong field:
    "event" when the record is not JSON or not a JSON object, "event_type" when the
    type is missing or unknown. With several wrong fields, one of them is named.
    """
    return _validate(record)[0]


@dataclass(frozen=True)
class ActiveUsers:
    window_start: int
    window_end: int
    active_users: int


@dataclass(frozen=True)
class ProductMinute:
    window_start: int
    window_end: int
    product_id: str
    product_name: str
    product_category: str
    view_count: int
    avg_price: float


@dataclass(frozen=True)
class Session:
    session_id: str
    user_id: str
    event_count: int
    products_viewed: int
    products_added_to_cart: int
    purchases_made: int
    session_start: int
    session_end: int


@dataclass(frozen=True)
class Expected:
    """What the pipeline must produce for some input, and how the input was counted.

    read == invalid_lines + duplicate_lines + distinct_events always holds.
    """

    active_users: dict[int, ActiveUsers]  # by window_start
    products: dict[tuple[int, str], ProductMinute]  # by (window_start, product_id)
    sessions: dict[tuple[str, str], Session]  # by (session_id, user_id)
    late: list[str]  # event_ids of late first deliveries, in production order
    late_events: int
    rejected: dict[str, int]  # invalid records per field named by check()
    invalid_lines: int
    duplicate_lines: int
    distinct_events: int  # valid first deliveries, late ones included
    read: int  # every record


@dataclass
class _SessionAcc:
    event_count: int
    start: int
    end: int
    viewed: set[str]
    carted: set[str]
    orders: set[str]


def compute(
    records: Iterable[tuple[int, bytes | str]],
    *,
    bound_ms: int = 5000,
    allowed_ms: int = 60000,
    highs: dict[int, int] | None = None,
) -> Expected:
    """The three analytics for `(partition, record)` pairs in production order.

    `bound_ms` is the watermark bound and `allowed_ms` the allowed lateness; a valid
    record is late iff its event time is strictly less than its partition's newest
    valid event time (itself included) minus both. `highs` gives each partition's
    newest event time (ms) from earlier traffic; it is not modified.
    """
    high: dict[int, int] = dict(highs or {})
    rejected: dict[str, int] = defaultdict(int)
    seen: set[str] = set()
    late: list[str] = []
    read = duplicates = 0
    users: dict[int, set[str]] = defaultdict(set)
    prices: dict[tuple[int, str], list[float]] = defaultdict(list)
    names: dict[str, tuple[str, str]] = {}
    sessions: dict[tuple[str, str], _SessionAcc] = {}

    for partition, record in records:
        read += 1
        field, event = _validate(record)
        if field is not None:
            rejected[field] += 1
            continue
        ms = epoch_millis(event["event_timestamp"])
        high[partition] = max(high.get(partition, ms), ms)
        is_late = ms < high[partition] - bound_ms - allowed_ms
        event_id: str = event["event_id"]
        if event_id in seen:
            duplicates += 1
            continue
        seen.add(event_id)
        event_type: str = event["event_type"]

        key = (event["session_id"], event["user_id"])
        acc = sessions.get(key)
        if acc is None:
            acc = sessions[key] = _SessionAcc(0, ms, ms, set(), set(), set())
        acc.event_count += 1
        acc.start = min(acc.start, ms)
        acc.end = max(acc.end, ms)
        if event_type == "product_view":
            acc.viewed.add(event["product_id"])
        elif event_type == "add_to_cart":
            acc.carted.add(event["product_id"])
        elif event_type == "purchase":
            acc.orders.add(event["order_id"])

        if is_late:
            late.append(event_id)
            continue
        start = window_start(ms)
        users[start].add(event["user_id"])
        if event_type == "product_view":
            pid: str = event["product_id"]
            name_cat = (event["product_name"], event["product_category"])
            if names.setdefault(pid, name_cat) != name_cat:
                raise AssertionError(
                    f"product {pid!r} has name/category {names[pid]!r} and {name_cat!r}; "
                    "the oracle assumes they are constant per product_id"
                )
            prices[(start, pid)].append(event["price"])

    active = {s: ActiveUsers(s, s + MINUTE_MS, len(u)) for s, u in users.items()}
    products = {
        (s, pid): ProductMinute(s, s + MINUTE_MS, pid, *names[pid], len(p), sum(p) / len(p))
        for (s, pid), p in prices.items()
    }
    session_rows = {
        (sid, uid): Session(
            sid,
            uid,
            a.event_count,
            len(a.viewed),
            len(a.carted),
            len(a.orders),
            a.start,
            a.end,
        )
        for (sid, uid), a in sessions.items()
    }
    invalid = sum(rejected.values())
    return Expected(
        active_users=active,
        products=products,
        sessions=session_rows,
        late=late,
        late_events=len(late),
        rejected=dict(rejected),
        invalid_lines=invalid,
        duplicate_lines=duplicates,
        distinct_events=len(seen),
        read=read,
    )


def compute_lines(
    lines: Iterable[bytes | str],
    *,
    bound_ms: int = 5000,
    allowed_ms: int = 60000,
    highs: dict[int, int] | None = None,
) -> Expected:
    """`compute` for callers that do not care about partitions: every line is taken as
    written to partition 0, so lateness is judged against one stream-wide high."""
    return compute(
        ((0, line) for line in lines), bound_ms=bound_ms, allowed_ms=allowed_ms, highs=highs
    )
