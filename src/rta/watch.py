"""Watch the local stack's processes while `rta up` runs in the foreground: when one
exits, say which (exit code, last lines of its log) and bring its component back.

A component comes back through `rta.lifecycle.up` for that component alone, so it is
provisioned again as at start-up (topics for Kafka, the job for Flink, resumed from its
latest checkpoint). Its other processes are stopped first: a Flink JobManager without
its TaskManager is not a running Flink. Restarts back off (one check interval, then
twice that, and so on up to a minute) while a component keeps failing, and run in a
thread of their own so that the session's progress display and Ctrl-C stay responsive.

With `watch.on_exit = "stop"` the first exit stops the whole stack instead (through
`on_stop`, by default `rta.lifecycle.down`), and the watch checks nothing more.

Each restart is written to the restart records (rta.restarts) as it begins and ends,
so that `rta status`, in another process, can say what happened and what is under way.
The watch runs in the foreground `rta up`, or in the watchdog process (rta.watchdog)
that a `rta up --detach` leaves behind.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rta import lifecycle
from rta.layout import Layout
from rta.restarts import BACK, FAILED, RESTARTING, STOPPED_STACK, RestartLog, RestartRecord
from rta.settings import Settings
from rta.stack import supervisor
from rta.stack.component import Component
from rta.stack.probes import log_tail

__all__ = ["Restart", "Watch"]

LOG_LINES = 10


@dataclass
class Restart:
    """What happened to one component: how often it was restarted, and why last."""

    component: str
    count: int = 0
    last_reason: str = ""
    failures: int = 0  # restarts in a row that did not bring it back
    next_try: float = 0.0
    started_at: float = 0.0  # wall-clock time of the last restart's start


@dataclass
class Watch:
    settings: Settings
    say: Callable[[str], None]
    on_stop: Callable[[str], None] | None = None
    """With on_exit "stop": stops the stack, given the reason (None: lifecycle.down)."""
    clock: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
    restarts: dict[str, Restart] = field(default_factory=dict)
    stopped_because: str | None = None
    """Set once the watch stopped the stack (on_exit "stop"): why."""
    _last_check: float = float("-inf")
    _busy: threading.Thread | None = None

    def __post_init__(self) -> None:
        self.log = RestartLog(Layout(self.settings.state_dir).restarts)
        # Counts go on across watches of the same stack: a foreground `rta up
        # --keep-running` hands over to the watchdog, a restarted watchdog to itself.
        for name, rec in self.log.read().items():
            self.restarts.setdefault(name, Restart(name, rec.count, rec.last_reason))

    @property
    def interval_s(self) -> float:
        return self.settings.watch.interval_s

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
            if self.settings.watch.on_exit == "stop":
                self._stop_stack(state)
                return
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

    def _record(self, state: Restart, what: str) -> None:
        self.log.write(
            RestartRecord(state.component, state.count, state.last_reason, state.started_at, what)
        )

    def _stop_stack(self, state: Restart) -> None:
        reason = state.last_reason
        self.stopped_because = reason
        self._last_check = float("inf")  # the stack goes down: nothing more to watch
        self.say(f"stopping the stack: {reason} (watch.on_exit is stop)")
        state.started_at = self.wall()
        self._record(state, STOPPED_STACK)
        stop = self.on_stop or (lambda _: lifecycle.down(self.settings))
        self._busy = threading.Thread(target=stop, args=(reason,), name="stop-stack", daemon=True)
        self._busy.start()

    def _restart(self, comp: Component, state: Restart) -> None:
        state.count += 1
        state.started_at = self.wall()
        self._record(state, RESTARTING)
        self.say(f"restarting {comp.name} (restart {state.count})")
        comp.stop()
        started = self.clock()
        try:
            lifecycle.up(self.settings, names=[comp.name])
        except Exception as exc:  # whatever it was, say it and try again later
            state.failures += 1
            cap = self.settings.watch.max_backoff_s
            wait = min(cap, self.interval_s * 2.0 ** (state.failures - 1))
            state.next_try = self.clock() + wait
            first = (str(exc).splitlines() or [type(exc).__name__])[0]
            state.last_reason = f"{state.last_reason}; restart failed: {first}"
            self._record(state, FAILED)
            self.say(f"{comp.name} did not come back: {first}; next try in {wait:.0f} s")
            return
        state.failures = 0
        self._record(state, BACK)
        self.say(f"{comp.name} is back after {self.clock() - started:.1f} s")
