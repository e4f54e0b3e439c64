"""RFC 3339 rendering of epoch milliseconds, the way the engine needs it.

The default form is 'Z' with millisecond precision, in two pieces: the engine
renders the seconds (second_prefix) once per second, because at any realistic
rate thousands of events share one, and looks the milliseconds up in MILLIS_Z,
so an event's timestamp costs one string join. The mixed-offset forms exist to
prove that Flink and Pinot read every offset as the same instant, not to be fast.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

__all__ = ["MILLIS_Z", "MIXED_OFFSETS", "render_offset", "render_z", "second_prefix"]

# "123Z" for every millisecond: a list index instead of a format call per event.
MILLIS_Z: tuple[str, ...] = tuple(f"{i:03d}Z" for i in range(1000))

# Offsets in minutes used by --tz-mix: east, west and a half-hour zone.
MIXED_OFFSETS: tuple[int, ...] = (120, -300, 330)
_TZS = {m: timezone(timedelta(minutes=m)) for m in MIXED_OFFSETS}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def second_prefix(second: int) -> str:
    """'YYYY-MM-DDTHH:MM:SS.' for an epoch second (UTC)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(second))


def render_z(t_ms: int) -> str:
    """e.g. 2026-01-01T10:00:00.123Z"""
    sec, ms = divmod(t_ms, 1000)
    return second_prefix(sec) + MILLIS_Z[ms]


def render_offset(t_ms: int, offset_minutes: int, micros: bool) -> str:
    """The same instant as render_z(t_ms), written in another offset, with a
    3- or 6-digit fraction (e.g. 2026-01-01T15:30:00.123000+05:30)."""
    tz = _TZS.get(offset_minutes) or timezone(timedelta(minutes=offset_minutes))
    dt = (_EPOCH + timedelta(milliseconds=t_ms)).astimezone(tz)
    return dt.isoformat(timespec="microseconds" if micros else "milliseconds")
