"""The OpenAPI description of what `POST /v1/events` takes: the event contract's own
JSON Schema, since the body is read raw (three forms) rather than by a FastAPI model."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from rta.collector.ingest import BodyKind
from rta.events import Event

__all__ = ["event_schemas", "events_request_body"]

_REF = "#/components/schemas/{model}"


def event_schemas() -> dict[str, Any]:
    """Component schemas: `Event` (the union, by event_type) and each event type."""
    schema = TypeAdapter(Event).json_schema(ref_template=_REF)
    defs: dict[str, Any] = schema.pop("$defs", {})
    return {**defs, "Event": {**schema, "title": "Event"}}


def events_request_body(max_batch: int) -> dict[str, Any]:
    event = {"$ref": _REF.format(model="Event")}
    return {
        "required": True,
        "description": "One event, a JSON array of events, or one event per line (NDJSON). "
        "Each is checked on its own: valid ones are accepted, invalid ones rejected "
        "with a reason and kept in the dead-letter topic.",
        "content": {
            BodyKind.json.value: {
                # minItems: an empty array is answered 400, no event in it.
                "schema": {
                    "anyOf": [
                        event,
                        {"type": "array", "items": event, "minItems": 1, "maxItems": max_batch},
                    ]
                }
            },
            BodyKind.ndjson.value: {
                "schema": {"type": "string", "description": "One JSON event per line."}
            },
        },
    }
