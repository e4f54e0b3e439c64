"""Deliberately bad input, to prove the pipeline copes: late, duplicated and
invalid records and timestamps in other offsets.

Duplicates and invalid lines are extra records: they never consume a step of a
session, so the valid, de-duplicated stream still follows the funnel. Late
events are real session events held back and sent after newer ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

import orjson

__all__ = ["INVALID_KINDS", "Chaos", "make_invalid"]

INVALID_KINDS = (
    "broken_json",
    "missing_field",
    "naive_timestamp",
    "bad_uuid",
    "wrong_event_type",
    "negative_price",
)

_REQUIRED = ("event_id", "event_timestamp", "user_id", "session_id", "device_type", "location")
_UUID_FIELDS = ("event_id", "user_id", "session_id")


@dataclass(frozen=True)
class Chaos:
    """Fractions of records (0..1) that are not clean, in-order, 'Z' events."""

    late_fraction: float = 0.0
    """Events sent after newer ones: their time lies behind the clock by up to late_max_ms."""
    late_max_ms: int = 5000
    """Upper bound of how far behind a late event is."""
    duplicate_fraction: float = 0.0
    """Extra records that re-send an already sent event byte for byte (same event_id)."""
    invalid_fraction: float = 0.0
    """Extra records that break the contract (see INVALID_KINDS); sent as they are."""
    tz_mix: float = 0.0
    """Events whose timestamp is written in another offset (+02:00, -05:00, +05:30),
    some with microsecond fractions; the instant is unchanged."""

    def __post_init__(self) -> None:
        fractions = {
            "late_fraction": self.late_fraction,
            "duplicate_fraction": self.duplicate_fraction,
            "invalid_fraction": self.invalid_fraction,
            "tz_mix": self.tz_mix,
        }
        for name, value in fractions.items():
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name}: must be between 0 and 1, got {value}")
        if sum(fractions.values()) > 1.0:
            raise ValueError("late, duplicate, invalid and tz-mix fractions add up to more than 1")
        if self.late_max_ms < 1:
            raise ValueError("late_max_ms: must be >= 1")

    @property
    def total(self) -> float:
        return self.late_fraction + self.duplicate_fraction + self.invalid_fraction + self.tz_mix


def make_invalid(line: str, rnd: Random) -> tuple[str, str]:
    """Break a valid event line in one of INVALID_KINDS ways; return (line, kind)."""
    kind = rnd.choice(INVALID_KINDS)
    if kind == "broken_json":
        return line[: rnd.randint(1, len(line) - 2)], kind
    data = orjson.loads(line)
    if kind == "missing_field":
        del data[rnd.choice(_REQUIRED)]
    elif kind == "naive_timestamp":
        ts: str = data["event_timestamp"]
        data["event_timestamp"] = ts[:-1] if ts.endswith("Z") else ts[:-6]
    elif kind == "bad_uuid":
        name = rnd.choice(_UUID_FIELDS)
        value: str = data[name]
        upper = value.upper() if value.upper() != value else "N/A"
        data[name] = rnd.choice((upper, value.replace("-", ""), value[:-4], "n/a"))
    elif kind == "wrong_event_type":
        data["event_type"] = rnd.choice(("checkout", "PageView", "", "click"))
    else:  # negative_price, or a negative time_spent for page views
        if "price" in data:
            data["price"] = -data["price"] - 0.01
        else:
            data["time_spent"] = -data["time_spent"] - 0.01
    return orjson.dumps(data).decode(), kind
