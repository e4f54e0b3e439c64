"""The watchdog of a detached stack: one small process, `python -m rta watch`, that runs
the same watch as a foreground `rta up` (rta.watch) until `rta down` stops it.

`rta up --detach` starts it once the stack is up (and a foreground `rta up
--keep-running` when its session ends); `rta down` stops it before any component, so
that it never restarts what `rta down` is stopping; a foreground `rta up` stops it and
watches the stack itself. It is a process of the stack (its own pid file and log,
listed by `rta status`) but not a component: nothing depends on it, and
`rta.lifecycle.up` must not start it alongside what it watches.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable

import psutil

from rta.settings import Settings
from rta.signals import StopSignals
from rta.stack.process import PidFile, ServiceProcess
from rta.stack.service import watchdog_process
from rta.watch import Watch

__all__ = ["run", "running", "start", "stop"]

# `rta down` gives the watchdog 30 s before SIGKILL; a restart under way may finish
# within this, and is otherwise abandoned: `rta down` stops whatever it started.
CLOSE_TIMEOUT_S = 20.0
# Stopping the stack includes Flink's final savepoint (up to 60 s) and every JVM.
STOP_STACK_TIMEOUT_S = 600.0


def _process(settings: Settings) -> ServiceProcess:
    return watchdog_process(settings)


def running(settings: Settings) -> psutil.Process | None:
    """The watchdog of this state directory, if one runs."""
    return _process(settings).process()


def start(settings: Settings) -> int:
    """Start the watchdog unless one runs already; return its pid."""
    proc = _process(settings)
    running = proc.process()
    return running.pid if running is not None else proc.start()


def stop(settings: Settings) -> bool:
    """Stop the watchdog; True if one was running."""
    return _process(settings).stop()


def run(
    settings: Settings,
    say: Callable[[str], None] | None = None,
    tick_s: float = 1.0,
) -> int:
    """The watchdog's loop, until SIGTERM (`rta down`) or SIGINT; returns the exit code:
    1 if it stopped the stack because a process exited (watch.on_exit = "stop")."""
    out = say or _say
    with StopSignals(signal.SIGINT, signal.SIGTERM) as signals:
        watch = Watch(settings, say=out)
        out(
            f"watching the stack every {settings.watch.interval_s:g} s "
            f"(on exit: {settings.watch.on_exit})"
        )
        while not signals.stop.wait(tick_s):
            try:
                watch.poll()
            except Exception as exc:  # a watchdog that dies of a hiccup watches nothing
                out(f"checking the processes failed: {type(exc).__name__}: {exc}")
            if watch.stopped_because is not None:
                break
        signals.stopping = True  # a second SIGTERM must not cut a restart in half
        if watch.stopped_because is not None:
            watch.close(STOP_STACK_TIMEOUT_S)
            out("stack stopped; the watchdog ends")
            # It ended on purpose: `rta status` must not list it as a watchdog that died.
            PidFile(_process(settings).pid_file).clear()
            return 1
        watch.close(CLOSE_TIMEOUT_S)
        out("asked to stop; the watchdog ends")
        return 0


def _say(message: str) -> None:
    # Its stdout is logs/watchdog.log: one stamped line per message.
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {message}", flush=True)
