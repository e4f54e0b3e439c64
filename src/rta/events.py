"""The event contract: the seed's base fields and its four event types.

Every producer (generator, replay, collector) validates against these models,
and the Flink SQL and Pinot schemas mirror them field for field. Timestamps are
RFC 3339 strings with an explicit offset, because the downstream engines parse
exactly that shape; naive timestamps are rejected rather than guessed.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
)

__all__ = [
    "EVENT_TYPES",
    "AddToCart",
    "BaseEvent",
    "Event",
    "EventError",
    "PageView",
    "ProductView",
    "Purchase",
    "event_json_schema",
    "parse_event",
    "parse_event_json",
]

EVENT_TYPES = ("page_view", "product_view", "add_to_cart", "purchase")

_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# Date, 'T', time, optional 1-6 digit fraction, then 'Z' or ±HH:MM. The offset is mandatory.
_TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$")


def _check_uuid(value: str) -> str:
    if not _UUID_RE.match(value):
        raise ValueError("must be a UUID in canonical lowercase form (8-4-4-4-12 hex digits)")
    return value


def _check_timestamp(value: str) -> str:
    if not _TS_RE.match(value):
        if re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$", value):
            raise ValueError("timestamp has no time zone; add 'Z' or an offset such as +02:00")
        raise ValueError(
            "must be an ISO-8601 timestamp with offset, "
            "e.g. 2026-11-25T10:00:00.123+02:00 (fraction up to 6 digits)"
        )
    try:
        datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"not a valid date or time: {exc}") from None
    return value


# Ids and timestamps stay strings: they travel to Kafka exactly as received, so
# that what Flink and Pinot parse is byte-for-byte what was validated here.
Uuid = Annotated[str, AfterValidator(_check_uuid)]
Timestamp = Annotated[str, AfterValidator(_check_timestamp)]
NonEmpty = Annotated[str, Field(min_length=1)]
Price = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Quantity = Annotated[int, Field(ge=1)]


class BaseEvent(BaseModel):
    """Fields shared by every event (the seed's 'Base Event Fields')."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    event_id: Uuid
    event_timestamp: Timestamp
    user_id: Uuid
    session_id: Uuid
    device_type: NonEmpty
    os: NonEmpty
    browser: NonEmpty
    location: NonEmpty

    @property
    def timestamp(self) -> datetime:
        """The event time as an aware datetime."""
        return datetime.fromisoformat(self.event_timestamp)


class PageView(BaseEvent):
    event_type: Literal["page_view"]
    page_url: NonEmpty
    referrer_url: str
    time_spent: Annotated[float, Field(ge=0, allow_inf_nan=False)]


class ProductView(BaseEvent):
    event_type: Literal["product_view"]
    product_id: NonEmpty
    product_name: NonEmpty
    product_category: NonEmpty
    price: Price


class AddToCart(BaseEvent):
    event_type: Literal["add_to_cart"]
    product_id: NonEmpty
    product_name: NonEmpty
    product_category: NonEmpty
    price: Price
    quantity: Quantity


class Purchase(BaseEvent):
    event_type: Literal["purchase"]
    product_id: NonEmpty
    product_name: NonEmpty
    product_category: NonEmpty
    price: Price
    quantity: Quantity
    total_amount: Price
    order_id: NonEmpty


Event = Annotated[PageView | ProductView | AddToCart | Purchase, Field(discriminator="event_type")]

# Strict: "10" is not a price and 1 is not a string; whole JSON numbers still pass as floats.
_adapter: TypeAdapter[Any] = TypeAdapter(Event)


class EventError(ValueError):
    """An event that does not satisfy the contract; `reason` names field and cause."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err["loc"]]
        # The first element of a union location is the discriminator tag; drop it.
        if loc and loc[0] in EVENT_TYPES:
            loc = loc[1:]
        field = ".".join(loc) or "event"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "union_tag_invalid":
            field, msg = "event_type", f"must be one of {', '.join(EVENT_TYPES)}"
        elif err["type"] == "union_tag_not_found":
            field, msg = "event_type", "is missing"
        elif err["type"] == "extra_forbidden":
            msg = "is not a field of this event type"
        parts.append(f"{field}: {msg}")
    return "; ".join(parts)


def parse_event(data: Any) -> PageView | ProductView | AddToCart | Purchase:
    """Validate a decoded JSON object; raise EventError naming the bad field(s)."""
    if not isinstance(data, dict):
        raise EventError(f"event: must be a JSON object, got {type(data).__name__}")
    try:
        return _adapter.validate_python(data)  # type: ignore[no-any-return]
    except ValidationError as exc:
        raise EventError(_describe(exc)) from None


def parse_event_json(raw: bytes | str) -> PageView | ProductView | AddToCart | Purchase:
    """Decode and validate one JSON document (one line of a JSON-lines file)."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EventError(f"event: not valid JSON ({exc})") from None
    return parse_event(data)


def event_json_schema() -> dict[str, Any]:
    """The JSON Schema of the event union (printed by `rta schema`)."""
    schema = _adapter.json_schema()
    schema["title"] = "rta event"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
