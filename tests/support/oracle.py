"""An independent oracle for the three analytics, computed in plain Python.

It reads the same raw lines that were produced to `raw_events` and applies the
seed's queries with the pipeline's documented semantics:

* lines that are not valid events are ignored (the pipeline dead-letters them);
* duplicate deliveries of an `event_id` count once (first delivery wins);
* event time is the timestamp's instant truncated to milliseconds;
* tumbling 1-minute windows are [start, start + 60 s), aligned to the epoch.

It shares no code with the pipeline except the event contract (rta.events).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rta.events import EventError, parse_event_json

MINUTE_MS = 60_000


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_millis(timestamp: str) -> int:
    # timedelta floor division is exact integer arithmetic: microseconds truncate, never round.
    return (datetime.fromisoformat(timestamp) - _EPOCH) // timedelta(milliseconds=1)


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


@dataclass(frozen=True)
class Expected:
    active_users: dict[int, ActiveUsers]
    products: dict[tuple[int, str], ProductMinute]
    sessions: dict[str, Session]
    distinct_events: int
    invalid_lines: int
    duplicate_lines: int


def compute(lines: Iterable[bytes | str]) -> Expected:
    seen: set[str] = set()
    invalid = duplicates = 0
    users: dict[int, set[str]] = defaultdict(set)
    views: dict[tuple[int, str, str, str], list[float]] = defaultdict(list)
    sess_events: dict[tuple[str, str], int] = defaultdict(int)
    viewed: dict[tuple[str, str], set[str]] = defaultdict(set)
    carted: dict[tuple[str, str], set[str]] = defaultdict(set)
    orders: dict[tuple[str, str], set[str]] = defaultdict(set)

    for line in lines:
        try:
            event = parse_event_json(line)
        except EventError:
            invalid += 1
            continue
        if event.event_id in seen:
            duplicates += 1
            continue
        seen.add(event.event_id)
        ts = epoch_millis(event.event_timestamp)
        start = ts - ts % MINUTE_MS
        users[start].add(event.user_id)
        key = (event.session_id, event.user_id)
        sess_events[key] += 1
        if event.event_type == "product_view":
            views[(start, event.product_id, event.product_name, event.product_category)].append(
                event.price
            )
            viewed[key].add(event.product_id)
        elif event.event_type == "add_to_cart":
            carted[key].add(event.product_id)
        elif event.event_type == "purchase":
            orders[key].add(event.order_id)

    active = {s: ActiveUsers(s, s + MINUTE_MS, len(u)) for s, u in users.items()}
    products = {
        (s, pid): ProductMinute(s, s + MINUTE_MS, pid, name, cat, len(p), sum(p) / len(p))
        for (s, pid, name, cat), p in views.items()
    }
    sessions = {
        sid: Session(
            sid,
            uid,
            n,
            len(viewed[(sid, uid)]),
            len(carted[(sid, uid)]),
            len(orders[(sid, uid)]),
        )
        for (sid, uid), n in sess_events.items()
    }
    return Expected(active, products, sessions, len(seen), invalid, duplicates)
