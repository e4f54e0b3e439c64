"""The foreground `rta up`: start and provision the stack, stream generated events into
it until Ctrl-C, then stop it all in reverse order, Flink with a final savepoint.

A pid file lets `rta down` in another terminal find this process and ask it to stop
(SIGINT): the generator then flushes before the stack goes down.

While the session runs it watches the stack itself (rta.watch); a stack left running
(`--detach`, `--keep-running`) is watched by the watchdog process (rta.watchdog) until
`rta down`, which stops that first.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import psutil
from rich.console import Console
from rich.markup import escape

from rta import lifecycle, watchdog
from rta.errors import RtaError
from rta.layout import Layout
from rta.restarts import RestartLog
from rta.settings import Settings
from rta.signals import StopSignals
from rta.stack import StackError, supervisor
from rta.stack.preflight import preflight
from rta.stack.process import PidFile
from rta.stack.supervisor import StepResult
from rta.terminal import StatusTicker, describe_result, panel
from rta.watch import Watch

if TYPE_CHECKING:
    from rta.generator.runner import RunSummary

err = Console(stderr=True, highlight=False, soft_wrap=True)


def _up_pid(settings: Settings) -> PidFile:
    return PidFile(Layout(settings.state_dir).up_pid_file)


def running_up(settings: Settings) -> psutil.Process | None:
    """The foreground `rta up` of this state directory, if one runs (not this process)."""
    proc = _up_pid(settings).process()
    return proc if proc is not None and proc.pid != os.getpid() else None


def start_stack(
    settings: Settings,
    console: Console = err,
    on_ready: Callable[[StepResult], None] = lambda _: None,
) -> list[StepResult]:
    """Preflight, then every component; prints one line per component as it is ready
    and passes it to `on_ready`."""
    local = not (settings.kafka.is_remote and settings.pinot.is_remote and settings.flink.is_remote)
    preflight(settings.state_dir, needs_local=local)
    with StatusTicker(console, "starting the local stack").running() as ticker:

        def on_result(r: StepResult) -> None:
            ticker.done(r.component)
            console.print(describe_result(r))
            on_ready(r)

        return lifecycle.up(settings, notify=ticker.notify, on_result=on_result)


def stop_stack(settings: Settings, console: Console = err) -> list[StepResult]:
    started = time.monotonic()
    with StatusTicker(console, "stopping the local stack").running() as ticker:
        results = lifecycle.down(settings, notify=ticker.only)
    for r in results:
        console.print(f"{escape(r.component)}: {escape(r.action)} ({r.seconds:.1f} s)")
    console.print(f"stack down in {time.monotonic() - started:.1f} s")
    return results


def _still_stopping() -> None:
    err.print("still stopping the stack, please wait...")


def _fail(exc: RtaError) -> None:
    err.print(f"[red]rta: {escape(str(exc))}[/red]")
    if exc.log is not None:
        err.print(f"Full log: {exc.log}")


def run_up(
    settings: Settings,
    *,
    rate: float | None = None,
    generate: bool = True,
    detach: bool = False,
    keep: bool = False,
) -> int:
    """`rta up` as a plain function; returns the exit code."""
    other = running_up(settings)
    if other is not None:
        err.print(f"[red]rta up: already running in the foreground (pid {other.pid}).[/red]")
        return 1
    try:
        was_running = any(c.is_running() for c in supervisor.components(settings))
    except RtaError as exc:  # e.g. no usable Java
        _fail(exc)
        return 1
    # One watch at a time, and none while this process starts components: a watchdog
    # left by an earlier `--detach` stops here, and a new one starts once the stack is up.
    _stop_watchdog(settings, "this `rta up` starts the stack and watches it")
    if not was_running:
        RestartLog(Layout(settings.state_dir).restarts).clear()  # counts are per stack
    t0 = time.monotonic()
    with StopSignals(signal.SIGINT, signal.SIGTERM, while_stopping=_still_stopping) as signals:
        if not detach:
            _up_pid(settings).record(psutil.Process())
        # The generator starts as soon as Kafka is ready, while Pinot and Flink are
        # still starting: Flink then finds a backlog spanning the first minute and
        # the first window result appears right after the pipeline is up.
        gen = GeneratorThread(settings, rate, signals.stop) if generate and not detach else None

        def on_ready(r: StepResult) -> None:
            if gen is not None and r.component.startswith("kafka"):
                gen.start()

        try:
            try:
                signals.starting = True
                results = start_stack(settings, on_ready=on_ready)
                signals.starting = False
                if gen is not None and gen.error is not None:
                    raise StackError(f"generator: {gen.error}")
            except (RtaError, KeyboardInterrupt) as exc:
                signals.starting = False
                signals.stopping = True
                if isinstance(exc, RtaError):
                    _fail(exc)
                else:
                    err.print("interrupted during start-up")
                if gen is not None:
                    signals.stop.set()
                    gen.join(timeout=60)
                if not was_running and not detach:
                    err.print("stopping what was started...")
                    _stop_quietly(settings)
                return 1 if isinstance(exc, RtaError) else 130
            err.print(f"stack up in {time.monotonic() - t0:.1f} s")
            gen_rate = (rate if rate is not None else settings.generator.rate) if gen else None
            Console().print(panel(settings, results, gen_rate))
            if detach:
                _start_watchdog(settings)
                return 0
            code = 0
            # The watch only flags the stop (on_exit "stop"): the session's own way out
            # below flushes the generator before the stack goes down.
            watch = Watch(
                settings,
                say=lambda msg: err.print(escape(msg)),
                on_stop=lambda _: signals.stop.set(),
            )
            if gen is not None:
                code = gen.wait(err, tick=watch.poll)
            else:
                err.print("stack up; Ctrl-C stops it")
                while not signals.stop.wait(1.0):
                    watch.poll()
            watch.close()
            if watch.stopped_because is not None:
                code = 1
            elif keep:
                err.print("the stack keeps running; `rta down` stops it")
                _start_watchdog(settings)
                return code
            signals.stopping = True
            try:
                stop_stack(settings)
            except RtaError as exc:
                _fail(exc)
                return 1
            return code
        finally:
            if not detach and _up_pid(settings).pid() == os.getpid():
                _up_pid(settings).clear()


def _start_watchdog(settings: Settings) -> None:
    try:
        pid = watchdog.start(settings)
    except OSError as exc:  # the stack is up all the same; only nobody watches it
        err.print(f"[yellow]rta up: could not start the watchdog: {escape(str(exc))}[/yellow]")
        return
    log = Layout(settings.state_dir).log_file("watchdog")
    err.print(f"watchdog (pid {pid}) restarts any process that exits, until `rta down`; log: {log}")


def _stop_watchdog(settings: Settings, why: str) -> None:
    """Two watches would restart the same process twice, or race `rta down`."""
    other = watchdog.running(settings)
    if other is not None:
        err.print(f"stopping the watchdog (pid {other.pid}): {why}")
    watchdog.stop(settings)  # also clears the pid file of one that died


def _stop_quietly(settings: Settings) -> None:
    try:
        stop_stack(settings)
    except RtaError as exc:
        _fail(exc)


class GeneratorThread:
    """The generator, at the configured rate into raw_events, in a thread of its own.

    It stops when `stop` is set (Ctrl-C) and flushes before it ends. Progress is
    counted here and shown by `wait`, so that it never fights the start-up spinner
    for the terminal.
    """

    def __init__(self, settings: Settings, rate: float | None, stop: threading.Event) -> None:
        self.settings = settings
        self.rate = rate
        self.stop = stop
        self.sent = 0
        self.error: str | None = None
        self.summary: RunSummary | None = None
        self._thread = threading.Thread(target=self._run, name="generator", daemon=True)

    def start(self) -> None:
        if not self._thread.is_alive() and self.summary is None:
            self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        from rta.generator import GenerateOptions, KafkaUnavailableError
        from rta.generator import generate as run_generate
        from rta.generator.progress import ProgressDisplay

        gen = self

        class Counter(ProgressDisplay):
            def advance(self, n: int) -> None:
                gen.sent += n

        try:
            self.summary = run_generate(
                self.settings,
                GenerateOptions(rate=self.rate),
                stop=self.stop,
                progress=Counter("generating", enabled=False),
            )
        except KafkaUnavailableError as exc:
            self.error = str(exc)
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"

    def wait(self, console: Console, tick: Callable[[], None] = lambda: None) -> int:
        """Show progress until the generator ends (Ctrl-C), calling `tick` every second;
        summarise; return an exit code."""
        started, last_sent = time.monotonic(), self.sent
        last_t = started
        rate = 0.0
        try:
            with console.status("generating...") as status:
                while self._thread.is_alive():
                    self._thread.join(1.0)
                    tick()
                    now = time.monotonic()
                    rate = 0.7 * rate + 0.3 * (self.sent - last_sent) / max(now - last_t, 1e-3)
                    last_sent, last_t = self.sent, now
                    status.update(
                        f"generating: {self.sent:,} events sent ({rate:,.0f}/s); "
                        "Ctrl-C stops everything"
                    )
        except KeyboardInterrupt:
            console.print("generator aborted (second Ctrl-C); unsent records may be lost")
            return 130
        if self.error is not None:
            console.print(f"[red]rta up: generator: {escape(self.error)}[/red]")
            return 1
        assert self.summary is not None
        topic = f"kafka topic {self.settings.kafka.raw_topic}"
        console.print(escape(self.summary.describe(topic)))
        if self.summary.error:
            console.print(f"[red]rta up: generator: {escape(self.summary.error)}[/red]")
            return 1
        return 0


def run_down(settings: Settings, wait_s: float = 600.0) -> int:
    _stop_watchdog(settings, "first, so that it restarts nothing that is being stopped")
    other = running_up(settings)
    if other is not None:
        # The foreground `rta up` flushes its generator and stops the stack itself.
        err.print(f"asking `rta up` (pid {other.pid}) to stop...")
        other.send_signal(signal.SIGINT)
        try:
            other.wait(wait_s)
        except psutil.TimeoutExpired:
            err.print(f"`rta up` (pid {other.pid}) did not stop in {wait_s:.0f} s; stopping here")
    try:
        stop_stack(settings)
    except RtaError as exc:
        _fail(exc)
        return 1
    return 0
