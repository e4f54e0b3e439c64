"""Valid and invalid events, one fault each: every way a record can break the contract.

Used twice: the unit tests check that rta's contract (`rta.events`) and the oracle
agree on each record, and an integration test sends the whole corpus through the
real job, as a foreign producer would, and checks that the job rejects exactly the
invalid ones, naming the same field.

Left out on purpose: JSON type coercions ("9.99" for a price, 42 for a name, 2.0
for a quantity). Flink's JSON format decodes them as the value they spell, so the
pipeline counts them, while the contract rejects them at rta's own producers; this
is the one documented difference (docs/pipeline.md, "One contract").
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any


@dataclass(frozen=True)
class Case:
    name: str
    record: bytes
    field: str | None  # the wrong field, None for a valid event


_PRODUCT = {"product_id": "P-1", "product_name": "Lamp", "product_category": "home"}
_TYPE_FIELDS: dict[str, dict[str, Any]] = {
    "page_view": {"page_url": "/p", "referrer_url": "", "time_spent": 2.5},
    "product_view": {**_PRODUCT, "price": 19.99},
    "add_to_cart": {**_PRODUCT, "price": 19.99, "quantity": 2},
    "purchase": {
        **_PRODUCT,
        "price": 19.99,
        "quantity": 2,
        "total_amount": 39.98,
        "order_id": "O-1",
    },
}
DROP = object()  # as a change: remove the field
_BASE = ("event_id", "event_timestamp", "user_id", "session_id")
_TEXT = ("device_type", "os", "browser", "location")


def event(etype: str, at: datetime, **changes: Any) -> dict[str, Any]:
    """A valid event of `etype` at `at`, with `changes` applied (DROP removes a field)."""
    event: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "event_timestamp": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "user_id": str(uuid.uuid4()),
        "session_id": str(uuid.uuid4()),
        "device_type": "mobile",
        "os": "iOS",
        "browser": "Safari",
        "location": "Lyon",
        "event_type": etype,
        **_TYPE_FIELDS[etype],
    }
    for key, value in changes.items():
        if value is DROP:
            event.pop(key, None)
        else:
            event[key] = value
    return event


def build(start: datetime) -> list[Case]:
    """The corpus, with event times in the minute after `start`."""
    cases: list[Case] = []
    tick = iter(range(10_000))

    def at() -> datetime:
        return start + timedelta(milliseconds=37 * next(tick))

    def add(name: str, field: str | None, etype: str = "page_view", **changes: Any) -> None:
        cases.append(Case(name, json.dumps(event(etype, at(), **changes)).encode(), field))

    def raw(name: str, record: bytes, field: str) -> None:
        cases.append(Case(name, record, field))

    # Valid events, including the edges the contract allows.
    for etype in _TYPE_FIELDS:
        add(f"valid {etype}", None, etype)
    add("unknown extra field tolerated", None, app_version="2.1")
    add("null field of another type tolerated", None, "purchase", page_url=None)
    add("empty referrer", None, referrer_url="")
    add("zero price", None, "product_view", price=0)
    add("integer price", None, "product_view", price=20)
    # Valid times stay in the minute after `start`: an event far from the stream would
    # move its partition's lateness reference (or be late itself).
    offset = timezone(timedelta(hours=-9, minutes=-30))
    add("six fraction digits, -09:30", None, event_timestamp=at().astimezone(offset).isoformat())

    # Not an event at all.
    raw("not JSON", b"{not json", "event")
    raw("truncated JSON", b'{"event_id": "8d0c3c53-7e3f', "event")
    raw("empty record", b"", "event")
    raw("JSON array", b"[1, 2, 3]", "event")
    raw("JSON string", b'"page_view"', "event")
    raw("empty object", b"{}", "event")
    raw("object of other things", b'{"hello": "world"}', "event")

    # event_type.
    add("event_type missing", "event_type", event_type=DROP)
    add("event_type unknown", "event_type", event_type="checkout")
    add("event_type wrong case", "event_type", event_type="Page_View")
    add("event_type empty", "event_type", event_type="")

    # Base fields.
    for name in (*_BASE, *_TEXT):
        add(f"{name} missing", name, **{name: DROP})
        add(f"{name} null", name, **{name: None})
    for name in _TEXT:
        add(f"{name} empty", name, **{name: ""})
    good = str(uuid.uuid4())
    for name in ("event_id", "user_id", "session_id"):
        add(f"{name} upper case", name, **{name: good.upper()})
        add(f"{name} without dashes", name, **{name: good.replace("-", "")})
        add(f"{name} with a newline", name, **{name: good + "\n"})
        add(f"{name} not a UUID", name, **{name: "n/a"})
    for label, ts in (
        ("naive", "2030-01-01T00:00:00"),
        ("no T", "2030-01-01 00:00:00Z"),
        ("seven fraction digits", "2030-01-01T00:00:00.1234567Z"),
        ("February 30", "2030-02-30T10:00:00Z"),
        ("February 29 of a common year", "2030-02-29T10:00:00Z"),
        ("April 31", "2030-04-31T10:00:00Z"),
        ("month 13", "2030-13-01T10:00:00Z"),
        ("hour 24", "2030-01-01T24:00:00Z"),
        ("second 60", "2030-01-01T23:59:60Z"),
        ("offset +24:00", "2030-01-01T10:00:00+24:00"),
        ("offset without colon", "2030-01-01T10:00:00+0200"),
        ("date only", "2030-01-01"),
        ("year 0", "0000-01-01T00:00:00Z"),
        ("words", "yesterday"),
    ):
        add(f"event_timestamp {label}", "event_timestamp", event_timestamp=ts)

    # Type-specific fields.
    for etype, fields in _TYPE_FIELDS.items():
        for name in fields:
            add(f"{etype}: {name} missing", name, etype, **{name: DROP})
    add("page_url empty", "page_url", page_url="")
    add("product_id empty", "product_id", "product_view", product_id="")
    add("product_name empty", "product_name", "add_to_cart", product_name="")
    add("order_id empty", "order_id", "purchase", order_id="")
    add("negative price", "price", "product_view", price=-0.01)
    add("negative total", "total_amount", "purchase", total_amount=-1)
    add("negative time spent", "time_spent", time_spent=-0.5)
    add("zero quantity", "quantity", "add_to_cart", quantity=0)
    add("negative quantity", "quantity", "purchase", quantity=-2)
    add("fractional quantity", "quantity", "add_to_cart", quantity=2.5)
    add("price not a number", "price", "product_view", price="cheap")

    # Seed fields of another event type, with a value.
    add("price on a page view", "price", price=1.0)
    add("order_id on a product view", "order_id", "product_view", order_id="O-9")
    add("total_amount on an add to cart", "total_amount", "add_to_cart", total_amount=5.0)
    add("page_url on a purchase", "page_url", "purchase", page_url="/x")
    return cases
