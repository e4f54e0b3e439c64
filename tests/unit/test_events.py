"""The event contract: every valid form of the seed's events passes, every
invalid one fails with a message that names the field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rta.events import (
    AddToCart,
    EventError,
    PageView,
    ProductView,
    Purchase,
    parse_event,
    parse_event_json,
)

BASE: dict[str, Any] = {
    "event_id": "3f2b8c1e-9d4a-4b6f-8e2a-1c5d7f9b0a12",
    "event_timestamp": "2026-01-01T10:00:00.123Z",
    "user_id": "a1b2c3d4-e5f6-4789-a012-3456789abcde",
    "session_id": "0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0",
    "device_type": "mobile",
    "os": "iOS",
    "browser": "Safari",
    "location": "Lisbon",
}
PRODUCT = {
    "product_id": "P000123",
    "product_name": "Blue Headphones",
    "product_category": "Electronics",
    "price": 129.99,
}
EVENTS: dict[str, dict[str, Any]] = {
    "page_view": {
        **BASE,
        "event_type": "page_view",
        "page_url": "https://shop.example.com/",
        "referrer_url": "",
        "time_spent": 12.5,
    },
    "product_view": {**BASE, "event_type": "product_view", **PRODUCT},
    "add_to_cart": {**BASE, "event_type": "add_to_cart", **PRODUCT, "quantity": 2},
    "purchase": {
        **BASE,
        "event_type": "purchase",
        **PRODUCT,
        "quantity": 2,
        "total_amount": 259.98,
        "order_id": "ORD-1",
    },
}
MODELS = {
    "page_view": PageView,
    "product_view": ProductView,
    "add_to_cart": AddToCart,
    "purchase": Purchase,
}
TIMESTAMPS = [
    "2026-01-01T10:00:00Z",
    "2026-01-01T10:00:00.1Z",
    "2026-01-01T10:00:00.12Z",
    "2026-01-01T10:00:00.123Z",
    "2026-01-01T10:00:00.1234Z",
    "2026-01-01T10:00:00.12345Z",
    "2026-01-01T10:00:00.123456Z",
    "2026-01-01T12:00:00.123+02:00",
    "2026-01-01T05:00:00.123456-05:00",
    "2026-01-01T15:30:00+05:30",
    "2026-01-01T10:00:00.000+00:00",
]


@pytest.mark.parametrize("event_type", EVENTS)
def test_each_event_type_is_accepted(event_type: str) -> None:
    event = parse_event(EVENTS[event_type])
    assert isinstance(event, MODELS[event_type])
    assert event.event_type == event_type


@pytest.mark.parametrize("event_type", EVENTS)
@pytest.mark.parametrize("ts", TIMESTAMPS)
def test_every_offset_and_fraction_is_accepted(event_type: str, ts: str) -> None:
    event = parse_event_json(json.dumps({**EVENTS[event_type], "event_timestamp": ts}))
    assert event.event_timestamp == ts  # kept as written, for the engines downstream
    assert event.timestamp.utcoffset() is not None


def test_offsets_denote_the_same_instant() -> None:
    instants = {
        parse_event({**EVENTS["page_view"], "event_timestamp": ts}).timestamp
        for ts in (
            "2026-01-01T10:00:00.123Z",
            "2026-01-01T12:00:00.123+02:00",
            "2026-01-01T05:00:00.123000-05:00",
            "2026-01-01T15:30:00.123+05:30",
        )
    }
    assert len(instants) == 1


def test_whole_number_prices_and_bytes_input_are_accepted() -> None:
    raw = json.dumps({**EVENTS["product_view"], "price": 10}).encode()
    assert parse_event_json(raw).price == 10.0  # type: ignore[union-attr]


def _reject(event: Any, field: str) -> str:
    with pytest.raises(EventError) as info:
        parse_event(event)
    assert info.value.reason.startswith(field) or f"{field}:" in info.value.reason, (
        info.value.reason
    )
    return info.value.reason


@pytest.mark.parametrize(
    "ts",
    [
        "2026-01-01T10:00:00",
        "2026-01-01T10:00:00.123",
        "2026-01-01 10:00:00Z",
        "2026-01-01T10:00:00.1234567Z",
        "2026-13-01T10:00:00Z",
        "2026-01-01T10:00:00+2:00",
        "yesterday",
    ],
)
def test_bad_timestamps_are_rejected(ts: str) -> None:
    _reject({**EVENTS["page_view"], "event_timestamp": ts}, "event_timestamp")


def test_naive_timestamp_says_so() -> None:
    reason = _reject(
        {**EVENTS["purchase"], "event_timestamp": "2026-01-01T10:00:00.123"}, "event_timestamp"
    )
    assert "no time zone" in reason


@pytest.mark.parametrize("field", ["event_id", "user_id", "session_id"])
@pytest.mark.parametrize(
    "value",
    [
        "3F2B8C1E-9D4A-4B6F-8E2A-1C5D7F9B0A12",
        "3f2b8c1e9d4a4b6f8e2a1c5d7f9b0a12",
        "3f2b8c1e-9d4a-4b6f-8e2a-1c5d7f9b0a1",
        "not-a-uuid",
        "",
    ],
)
def test_bad_uuids_are_rejected(field: str, value: str) -> None:
    _reject({**EVENTS["add_to_cart"], field: value}, field)


@pytest.mark.parametrize("event_type", EVENTS)
def test_missing_fields_are_named(event_type: str) -> None:
    for field in EVENTS[event_type]:
        if field == "event_type":
            continue
        event = {k: v for k, v in EVENTS[event_type].items() if k != field}
        _reject(event, field)


@pytest.mark.parametrize("value", ["checkout", "PageView", "", None])
def test_wrong_event_type_is_rejected(value: object) -> None:
    reason = _reject({**EVENTS["page_view"], "event_type": value}, "event_type")
    assert "page_view" in reason


def test_missing_event_type_is_rejected() -> None:
    event = {k: v for k, v in EVENTS["page_view"].items() if k != "event_type"}
    assert "missing" in _reject(event, "event_type")


def test_extra_field_is_rejected() -> None:
    reason = _reject({**EVENTS["page_view"], "price": 1.0}, "price")
    assert "not a field" in reason


@pytest.mark.parametrize(
    ("event_type", "field", "value"),
    [
        ("product_view", "price", -0.01),
        ("purchase", "total_amount", -1.0),
        ("page_view", "time_spent", -1.0),
        ("add_to_cart", "quantity", 0),
        ("purchase", "quantity", -2),
        ("product_view", "price", "129.99"),
        ("add_to_cart", "quantity", 1.5),
        ("add_to_cart", "quantity", "2"),
        ("page_view", "page_url", 42),
        ("page_view", "page_url", ""),
        ("product_view", "product_id", ""),
        ("purchase", "order_id", None),
        ("page_view", "device_type", ["mobile"]),
        ("product_view", "price", float("inf")),
    ],
)
def test_bad_values_are_rejected(event_type: str, field: str, value: object) -> None:
    _reject({**EVENTS[event_type], field: value}, field)


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        (b'{"event_id": "x"', "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b"\xff\xfe", "not valid JSON"),
        (b"", "not valid JSON"),
    ],
)
def test_malformed_lines_are_rejected(raw: bytes, needle: str) -> None:
    with pytest.raises(EventError, match=needle):
        parse_event_json(raw)


@pytest.mark.parametrize(
    ("change", "field", "kind"),
    [
        ({"event_timestamp": "2026-01-01T10:00:00"}, "event_timestamp", "value_error"),
        ({"user_id": None}, "user_id", "string_type"),
        ({"price": "9.99"}, "price", "float_type"),
        ({"event_type": "click"}, "event_type", "union_tag_invalid"),
        ({"event_type": None}, "event_type", "union_tag_invalid"),
        ({"order_id": "O-1"}, "order_id", "foreign_field"),
    ],
)
def test_errors_name_their_first_field_and_a_stable_kind(
    change: dict[str, Any], field: str, kind: str
) -> None:
    # The collector counts rejections by field and kind; the reason quotes values.
    with pytest.raises(EventError) as info:
        parse_event({**EVENTS["product_view"], **change})
    assert (info.value.field, info.value.kind) == (field, kind)
    assert info.value.reason.startswith(f"{field}: ")


def test_missing_fields_bad_json_and_non_objects_have_kinds_too() -> None:
    event = {k: v for k, v in EVENTS["page_view"].items() if k != "session_id"}
    for value, field, kind in [
        (event, "session_id", "missing"),
        ({k: v for k, v in event.items() if k != "event_type"}, "event_type", "missing"),
        ([event], "event", "not_an_object"),
    ]:
        with pytest.raises(EventError) as info:
            parse_event(value)
        assert (info.value.field, info.value.kind) == (field, kind)
    with pytest.raises(EventError) as info:
        parse_event_json(b'{"event_id": ')
    assert (info.value.field, info.value.kind) == ("event", "invalid_json")
    assert EventError("price: must be > 0").field == "price"


def test_deeply_nested_json_is_rejected_not_crashing() -> None:
    with pytest.raises(EventError) as info:
        parse_event_json(b"[" * 100_000 + b"]" * 100_000)
    assert (info.value.field, info.value.kind) == ("event", "invalid_json")
