"""Holding a producing loop to a rate: `rta generate --rate` and `rta replay --rate`."""

from __future__ import annotations

import time

__all__ = ["Pacer"]


class Pacer:
    """Keeps a loop at `rate` items per second on average, counted from its creation;
    rate 0 means as fast as the loop goes.

    The schedule is absolute (item n is due n / rate seconds after the start): a
    stall is made up by running faster afterwards, and sleep()'s overshoot does not
    add up over a long run.
    """

    def __init__(self, rate: float) -> None:
        if rate < 0:
            raise ValueError("rate must be >= 0")
        self.rate = rate
        self.started = time.monotonic()

    def wait(self, done: int) -> None:
        """Sleep until `done` items are due (not at all when behind, or unpaced)."""
        if self.rate:
            ahead = self.started + done / self.rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self.started
