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
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from rta.errors import InputError

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

# The patterns are part of the JSON Schema, from which the Flink job's filter is
# generated (rta.pipeline.contract): ASCII digits only, anchored at both ends, so
# that Java's and Python's regular expressions accept exactly the same strings.
UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
# Date, 'T', time, optional 1-6 digit fraction, then 'Z' or ±HH:MM. The offset is
# mandatory. Days past the month's end are left to the calendar check.
TIMESTAMP_PATTERN = (
    "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    "T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?"
    "(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
_UUID_RE = re.compile(UUID_PATTERN)
_TS_RE = re.compile(TIMESTAMP_PATTERN)
_NAIVE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)?")


def _check_uuid(value: str) -> str:
    if not _UUID_RE.fullmatch(value):
        raise ValueError("must be a UUID in canonical lowercase form (8-4-4-4-12 hex digits)")
    return value


def _check_timestamp(value: str) -> str:
    if not _TS_RE.fullmatch(value):
        if _NAIVE_RE.fullmatch(value):
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
Uuid = Annotated[
    str,
    AfterValidator(_check_uuid),
    Field(json_schema_extra={"pattern": UUID_PATTERN, "format": "uuid"}),
]
Timestamp = Annotated[
    str,
    AfterValidator(_check_timestamp),
    Field(json_schema_extra={"pattern": TIMESTAMP_PATTERN, "format": "date-time"}),
]
NonEmpty = Annotated[str, Field(min_length=1)]
Price = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Quantity = Annotated[int, Field(ge=1)]


class BaseEvent(BaseModel):
    """Fields shared by every event (the seed's 'Base Event Fields').

    Names that are not seed fields at all (a client's `app_version`) are tolerated and
    ignored, as every engine downstream ignores them; a seed field of another event
    type with a value (a `price` on a page view) is a producer bug and is rejected.
    A JSON null there is tolerated: Flink's JSON decoding cannot tell it from absent.
    """

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)

    @model_validator(mode="before")
    @classmethod
    def _no_fields_of_other_types(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in _foreign_fields(cls):
                if data.get(name) is not None:
                    raise PydanticCustomError(
                        "foreign_field",
                        "{field}: is not a field of {event_type}",
                        {"field": name, "event_type": data.get("event_type")},
                    )
        return data

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


# Seed fields that only some event types have.
TYPE_SPECIFIC_FIELDS: tuple[str, ...] = tuple(
    dict.fromkeys(
        name
        for model in (PageView, ProductView, AddToCart, Purchase)
        for name in model.model_fields
        if name not in BaseEvent.model_fields and name != "event_type"
    )
)


@cache
def _foreign_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """TYPE_SPECIFIC_FIELDS that `model` lacks, in that order. Cached: `model_fields` is
    a property of pydantic's that costs ~1 µs a read, and this runs for every event."""
    return tuple(name for name in TYPE_SPECIFIC_FIELDS if name not in model.model_fields)


Event = Annotated[PageView | ProductView | AddToCart | Purchase, Field(discriminator="event_type")]

# Strict: "10" is not a price and 1 is not a string; whole JSON numbers still pass as floats.
_adapter: TypeAdapter[Any] = TypeAdapter(Event)


class EventError(InputError, ValueError):
    """An event that does not satisfy the contract; `reason` names field and cause.

    `field` is the first field the reason names ("event" for the event as a whole) and
    `kind` a short, stable name of what is wrong with it (pydantic's error type, such as
    "missing" or "string_type", or "invalid_json"): a label for counting rejections,
    where the reason itself, which quotes values, would be too varied.

    Also a ValueError, the type callers of a validating parser expect.
    """

    def __init__(self, reason: str, *, field: str | None = None, kind: str = "invalid") -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field or reason.split(":", 1)[0]
        self.kind = kind


def _problems(exc: ValidationError) -> list[tuple[str, str, str]]:
    """(field, kind, 'field: why') for each error pydantic found."""
    out = []
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err["loc"]]
        # The first element of a union location is the discriminator tag; drop it.
        if loc and loc[0] in EVENT_TYPES:
            loc = loc[1:]
        field = ".".join(loc) or "event"
        kind = err["type"]
        msg = err["msg"].removeprefix("Value error, ")
        if kind == "foreign_field":
            field = str((err.get("ctx") or {}).get("field", field))
            out.append((field, kind, msg))  # the message names its field itself
            continue
        if kind == "union_tag_invalid":
            field, msg = "event_type", f"must be one of {', '.join(EVENT_TYPES)}"
        elif kind == "union_tag_not_found":
            field, msg = "event_type", "is missing"
            kind = "missing"
        out.append((field, kind, f"{field}: {msg}"))
    return out


def parse_event(data: Any) -> PageView | ProductView | AddToCart | Purchase:
    """Validate a decoded JSON object; raise EventError naming the bad field(s)."""
    if not isinstance(data, dict):
        raise EventError(
            f"event: must be a JSON object, got {type(data).__name__}",
            field="event",
            kind="not_an_object",
        )
    try:
        return _adapter.validate_python(data)  # type: ignore[no-any-return]
    except ValidationError as exc:
        problems = _problems(exc)
        field, kind, _ = problems[0]
        raise EventError("; ".join(r for _, _, r in problems), field=field, kind=kind) from None


def parse_event_json(raw: bytes | str) -> PageView | ProductView | AddToCart | Purchase:
    """Decode and validate one JSON document (one line of a JSON-lines file)."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EventError(
            f"event: not valid JSON ({exc})", field="event", kind="invalid_json"
        ) from None
    except RecursionError:
        raise EventError(
            "event: not valid JSON (nested too deeply)", field="event", kind="invalid_json"
        ) from None
    return parse_event(data)


def event_json_schema() -> dict[str, Any]:
    """The JSON Schema of the event union (printed by `rta schema`)."""
    schema = _adapter.json_schema()
    schema["title"] = "rta event"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
