"""Ctrl-C as a request to stop, for loops that must flush what they produced.

A KeyboardInterrupt in the middle of a batch would leave records in librdkafka's
buffer and the summary unwritten. So the first signal only sets a flag that the
loop checks between batches (`rta generate`, `rta replay`); the loop then flushes
and summarises. A second signal still aborts, for whoever will not wait.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

__all__ = ["StopSignals"]


class StopSignals:
    """Context manager: while inside, `signals` (default SIGINT) set `stop`.

    The second signal raises KeyboardInterrupt; so does the first while `starting`
    (there is nothing to flush yet). Once `stopping` is set, signals only call
    `while_stopping` (e.g. to say that stopping is under way): leaving half the work
    undone would be worse than waiting. Signals can only be caught in the main
    thread; elsewhere nothing is installed and the caller sets `stop` itself.
    """

    def __init__(
        self,
        *signals: signal.Signals,
        while_stopping: Callable[[], None] = lambda: None,
    ) -> None:
        self.signals = signals or (signal.SIGINT,)
        self.stop = threading.Event()
        self.starting = False
        self.stopping = False
        self._while_stopping = while_stopping
        self._previous: dict[signal.Signals, Any] = {}

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        if self.stopping:
            self._while_stopping()
            return
        already = self.stop.is_set()
        self.stop.set()
        if already or self.starting:
            raise KeyboardInterrupt

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for sig in self.signals:
                self._previous[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        self._previous.clear()
