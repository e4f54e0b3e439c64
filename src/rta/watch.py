"""Watch the local stack's processes while `rta up` runs in the foreground: when one
exits, say which (exit code, last lines of its log) and bring its component back.

A component comes back through `rta.lifecycle.up` for that component alone, so it is
provisioned again as at start-up (topics for Kafka, the job for Flink, resumed from its
latest checkpoint). Its other processes are stopped first: a Flink JobManager without
its TaskManager is not a running Flink. Restarts back off (one check interval, then
twice that, and so on up to a minute) while a component keeps failing, and run in a
thread of their own so that the session's progress display and Ctrl-C stay responsive.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rta import lifecycle
from rta.settings import Settings
from rta.stack import supervisor
from rta.stack.component import Component
from rta.stack.probes import log_tail

__all__ = ["Restart", "Watch"]

MAX_BACKOFF_S = 60.0
LOG_LINES = 10


@dataclass
class Restart:
    """What happened to one component: how often it was restarted, and why last."""

    component: str
    count: int = 0
    last_reason: str = ""
    failures: int = 0  # restarts in a row that did not bring it back
    next_try: float = 0.0


@dataclass
class Watch:
    settings: Settings
    say: Callable[[str], None]
    interval_s: float = 5.0
    clock: Callable[[], float] = time.monotonic
    restarts: dict[str, Restart] = field(default_factory=dict)
    _last_check: float = float("-inf")
    _busy: threading.Thread | None = None

    def poll(self) -> None:
        """Check the processes if `interval_s` has passed; cheap to call every second."""
        now = self.clock()
        if now - self._last_check < self.interval_s:
            return
        self._last_check = now
        if self._busy is not None and self._busy.is_alive():
            return  # one restart at a time: a second would race the first's provisioning
        for comp in supervisor.components(self.settings):
            dead = [p for p in comp.processes() if not p.is_running()]
            if not dead:
                continue
            state = self.restarts.setdefault(comp.name, Restart(comp.name))
            if now < state.next_try:
                continue
            reasons = []
            for proc in dead:
                code = proc.exit_code()
                how = f"exited with code {code}" if code is not None else "is not running"
                reasons.append(f"{proc.name} {how}")
                self.say(
                    f"{proc.name} {how}; last lines of {proc.log_file}:\n"
                    f"{log_tail(proc.log_file, LOG_LINES)}"
                )
            state.last_reason = "; ".join(reasons)
            self._busy = threading.Thread(
                target=self._restart, args=(comp, state), name=f"restart-{comp.name}", daemon=True
            )
            self._busy.start()
            return

    def close(self, timeout_s: float = 120.0) -> None:
        """Let a restart in progress finish, so that stopping the stack does not race it."""
        self._last_check = float("inf")  # no new checks
        if self._busy is not None:
            self._busy.join(timeout_s)

    def _restart(self, comp: Component, state: Restart) -> None:
        state.count += 1
        self.say(f"restarting {comp.name} (restart {state.count})")
        comp.stop()
        started = self.clock()
        try:
            lifecycle.up(self.settings, names=[comp.name])
        except Exception as exc:  # whatever it was, say it and try again later
            state.failures += 1
            wait = min(MAX_BACKOFF_S, self.interval_s * 2.0 ** (state.failures - 1))
            state.next_try = self.clock() + wait
            first = (str(exc).splitlines() or [type(exc).__name__])[0]
            self.say(f"{comp.name} did not come back: {first}; next try in {wait:.0f} s")
            return
        state.failures = 0
        self.say(f"{comp.name} is back after {self.clock() - started:.1f} s")
