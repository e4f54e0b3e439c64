"""Event-time clocks. The engine asks for the times of a whole batch at once,
because one call per batch costs nothing next to one call per event."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Protocol

from rta.generator.traffic import TrafficShape

__all__ = ["Clock", "FixedClock", "RealClock", "SimulatedClock", "parse_start"]


class Clock(Protocol):
    """Where event timestamps come from (milliseconds since the Unix epoch, UTC)."""

    def batch(self, count: int) -> list[int]:
        """Event times of the next `count` events, non-decreasing."""
        ...

    def now_ms(self) -> int:
        """The current event time (the time of the last event handed out)."""
        ...


class RealClock:
    """Wall-clock time. A batch shares one reading: at full speed a batch spans a
    few milliseconds, and with a paced --rate the batches are small."""

    def __init__(self) -> None:
        self._last = time.time_ns() // 1_000_000

    def batch(self, count: int) -> list[int]:
        # max(): the wall clock may step back (NTP); event time must not.
        self._last = max(self._last, time.time_ns() // 1_000_000)
        return [self._last] * count

    def now_ms(self) -> int:
        return self._last


class SimulatedClock:
    """Deterministic time: the i-th event is stamped start + i * step_ms, or, with a
    traffic shape, each batch steps step_ms / shape.factor(time) (busier hours get
    events closer together).

    It never reads the wall clock, so the same seed and start give byte-identical
    output however fast the machine or the sink is.
    """

    def __init__(self, start_ms: int, step_ms: float, shape: TrafficShape | None = None) -> None:
        if step_ms < 0:
            raise ValueError("step_ms must be >= 0")
        self._start = start_ms
        self._step = float(step_ms)  # an int would lack is_integer() (before 3.12)
        self._n = 0
        self.shape = shape if shape is not None and not shape.flat else None
        self._t = float(start_ms)  # the next event's time, when shaped
        self._last = start_ms

    @property
    def step_ms(self) -> float:
        return self._step

    @property
    def rate(self) -> float:
        """Events per simulated second, before any shape."""
        return 1000.0 / self._step if self._step > 0 else 0.0

    def batch(self, count: int) -> list[int]:
        if self.shape is None:
            n, start, step = self._n, self._start, self._step
            self._n = n + count
            if step.is_integer():
                # The same times as below (an integer step multiplies exactly), made by
                # range() in C instead of a float product and an int() per event.
                if not step:
                    return [start] * count
                k = int(step)
                return list(range(start + n * k, start + (n + count) * k, k))
            return [start + int((n + i) * step) for i in range(count)]
        t0 = self._t
        step = self._step / self.shape.factor(int(t0))
        self._t = t0 + count * step
        times = [int(t0 + i * step) for i in range(count)]
        if times:
            self._last = times[-1]
        return times

    def now_ms(self) -> int:
        if self.shape is not None:
            return self._last
        return self._start + int(max(self._n - 1, 0) * self._step)


class FixedClock(SimulatedClock):
    """Every event at the same instant (a SimulatedClock that does not advance)."""

    def __init__(self, at_ms: int) -> None:
        super().__init__(at_ms, 0.0)


def parse_start(value: str) -> int:
    """An RFC 3339 / ISO-8601 start time with offset ('Z' allowed) -> epoch ms."""
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"not an ISO-8601 timestamp: {value!r} (e.g. 2026-01-01T00:00:00Z)"
        ) from None
    if dt.tzinfo is None:
        raise ValueError(f"start time {value!r} has no time zone; add 'Z' or an offset")
    return round(dt.timestamp() * 1000)
