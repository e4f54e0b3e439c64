"""`rta up` and `rta down`: the whole local stack plus the generator, in the foreground.

`rta up` checks the machine (Java, memory, disk), starts Kafka, then Pinot and
Flink in parallel (topics, tables and the pipeline job are set up on the way),
prints one panel of what runs where, and streams generated events until Ctrl-C.
Ctrl-C (or SIGTERM, or `rta down` from another terminal) stops the generator
after flushing it, then the stack in reverse order: Flink first, with a final
savepoint, so the next `rta up` resumes where this one stopped.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import psutil
import typer
from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from rta.settings import Settings
from rta.stack import StackError, supervisor
from rta.stack.preflight import preflight
from rta.stack.supervisor import StepResult
from rta.tables import ACTIVE_USERS, PRODUCTS, SESSIONS

if TYPE_CHECKING:
    from rta.generator.runner import RunSummary

err = Console(stderr=True, highlight=False, soft_wrap=True)

EXAMPLE_QUERIES = (
    f"SELECT * FROM {ACTIVE_USERS.name} ORDER BY window_start DESC LIMIT 5",
    f"SELECT product_id, SUM(view_count) AS v FROM {PRODUCTS.name} "
    "GROUP BY product_id ORDER BY v DESC LIMIT 5",
    f"SELECT COUNT(*), SUM(purchases_made) FROM {SESSIONS.name}",
)


# --- the pid file through which `rta down` finds a foreground `rta up` ------------------


def up_pid_file(settings: Settings) -> Path:
    return settings.state_dir / "run" / "rta-up.pid"


def _write_up_pid(settings: Settings) -> None:
    path = up_pid_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    me = psutil.Process()
    path.write_text(f"{me.pid} {me.create_time()}\n")


def running_up(settings: Settings) -> psutil.Process | None:
    """The foreground `rta up` of this state directory, if one runs (not this process)."""
    try:
        pid_s, created_s = up_pid_file(settings).read_text().split()
        proc = psutil.Process(int(pid_s))
        if abs(proc.create_time() - float(created_s)) > 1.0 or proc.pid == os.getpid():
            return None
        return proc
    except (FileNotFoundError, ValueError, psutil.Error):
        return None


# --- progress ---------------------------------------------------------------------------


class StatusTicker:
    """A spinner whose text names what is in progress and for how long.

    `notify(msg)` takes the supervisor's messages ("starting pinot", "setting up
    flink"); components start in parallel, so each keeps its own part of the text
    until `done(component)`.
    """

    def __init__(self, console: Console, what: str) -> None:
        self.console = console
        self.what = what
        self._active: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._done = threading.Event()

    def text(self) -> str:
        now = time.monotonic()
        with self._lock:
            parts = [f"{msg} ({now - t0:.0f} s)" for msg, t0 in self._active.values()]
        return ", ".join(parts) or self.what

    def notify(self, msg: str) -> None:
        # "starting pinot" then "setting up pinot": one component, timed from its start.
        name = msg.split()[-1]
        with self._lock:
            t0 = self._active.get(name, (msg, time.monotonic()))[1]
            self._active[name] = (msg, t0)

    def only(self, msg: str) -> None:
        """Sequential steps: the new one replaces whatever was shown."""
        with self._lock:
            self._active.clear()
        self.notify(msg)

    def done(self, component: str) -> None:
        with self._lock:
            self._active.pop(component.split()[-1], None)

    @contextmanager
    def running(self) -> Iterator[StatusTicker]:
        with self.console.status(self.what) as status:

            def tick() -> None:
                while not self._done.wait(0.5):
                    status.update(self.text() + "...")

            ticker = threading.Thread(target=tick, daemon=True)
            ticker.start()
            try:
                yield self
            finally:
                self._done.set()
                ticker.join()


def describe_result(r: StepResult) -> str:
    """One line per component: what happened, how long it took, what it set up."""
    extra = ""
    if len(r.changes) > 3:
        extra = f" ({', '.join(r.changes[:2])} and {len(r.changes) - 2} more)"
    elif r.changes:
        extra = f" ({', '.join(r.changes)})"
    return f"[green]✓[/green] {escape(r.component)}: {escape(r.action)} in {r.seconds:.1f} s" + (
        escape(extra)
    )


# --- plain functions ------------------------------------------------------------------


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

        return supervisor.up(settings, notify=ticker.notify, on_result=on_result)


def stop_stack(settings: Settings, console: Console = err) -> list[StepResult]:
    started = time.monotonic()
    with StatusTicker(console, "stopping the local stack").running() as ticker:
        results = supervisor.down(settings, notify=ticker.only)
    for r in results:
        console.print(f"{escape(r.component)}: {escape(r.action)} ({r.seconds:.1f} s)")
    console.print(f"stack down in {time.monotonic() - started:.1f} s")
    return results


def panel(settings: Settings, results: list[StepResult], generating: float | None) -> Panel:
    """What runs where, the URLs, and three queries to try."""
    running = Table.grid(padding=(0, 2))
    for r in results:
        running.add_row(r.component, r.action, f"{r.seconds:.1f} s")
    urls = Table.grid(padding=(0, 2))
    urls.add_row("Flink dashboard", settings.flink.url)
    urls.add_row("Pinot query console", settings.pinot.controller)
    dashboard = getattr(settings, "dashboard", None)
    if dashboard is not None and hasattr(dashboard, "url"):
        urls.add_row("rta dashboard", str(dashboard.url))
    urls.add_row("Kafka bootstrap", settings.kafka.bootstrap)
    gen = (
        f"generator: {generating:,.0f} events/s into {settings.kafka.raw_topic}"
        if generating is not None
        else "generator: not started (rta generate)"
    )
    if generating == 0:
        gen = f"generator: as fast as possible into {settings.kafka.raw_topic}"
    examples = "\n".join(f'  rta query "{q}"' for q in EXAMPLE_QUERIES)
    return Panel(
        Group(
            running,
            "",
            urls,
            "",
            gen,
            "",
            "Try (results appear once a minute closes, ~65 s after the first events):",
            examples,
            "",
            "rta status · rta logs <component> · Ctrl-C or `rta down` stops everything",
        ),
        title="rta is running",
        expand=False,
    )


class StopSignals:
    """SIGINT/SIGTERM handling for a foreground run.

    The first signal sets `stop` (the generator flushes and returns); during
    start-up, or a second time, it also raises KeyboardInterrupt. Once stopping has begun, further
    signals only say that it is under way: leaving half the stack running would be
    worse than waiting.
    """

    def __init__(self, console: Console = err) -> None:
        self.stop = threading.Event()
        self.starting = False
        self.stopping = False
        self.console = console
        self._previous: dict[int, object] = {}

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        if self.stopping:
            self.console.print("still stopping the stack, please wait...")
            return
        already = self.stop.is_set()
        self.stop.set()
        if already or self.starting:
            raise KeyboardInterrupt

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, prev in self._previous.items():
            signal.signal(sig, prev)  # type: ignore[arg-type]


def _fail(exc: StackError) -> None:
    err.print(f"[red]rta: {escape(str(exc))}[/red]")
    if exc.log is not None:
        err.print(f"Full log: {exc.log}")


# --- commands -------------------------------------------------------------------------


def up(
    ctx: typer.Context,
    rate: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            help="Generator events per second, 0 = as fast as possible "
            "(env: RTA_GENERATOR__RATE; default 1000).",
        ),
    ] = None,
    generate: Annotated[
        bool,
        typer.Option(
            "--generate/--no-generate",
            help="Stream generated events until Ctrl-C (--no-generate: just keep the stack "
            "up in the foreground) (no env var).",
        ),
    ] = True,
    detach: Annotated[
        bool,
        typer.Option(
            "--detach",
            "-d",
            help="Start the stack, print the panel and return; no generator. Stop it later "
            "with `rta down` (no env var).",
        ),
    ] = False,
    keep_running: Annotated[
        bool,
        typer.Option(
            "--keep-running",
            help="Ctrl-C stops only the generator; the stack stays up for `rta down` (no env var).",
        ),
    ] = False,
) -> None:
    """Start the whole local stack and stream generated events into it (what `make run` runs).

    Checks Java, memory and disk; starts Kafka, then Pinot and Flink in parallel;
    creates topics and tables; submits the pipeline (resuming from its last
    checkpoint); prints what runs where; then generates events until Ctrl-C.
    Ctrl-C flushes the generator and stops everything in reverse order, Flink
    with a final savepoint. Components pointed at remote services
    (RTA_KAFKA__BOOTSTRAP_SERVERS, RTA_FLINK__REST_URL, RTA_PINOT__CONTROLLER_URL)
    start nothing locally. State: RTA_STATE_DIR (default .rta).
    """
    settings: Settings = ctx.obj
    raise typer.Exit(
        run_up(
            settings, rate=rate, generate=generate and not detach, detach=detach, keep=keep_running
        )
    )


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
    except StackError as exc:  # e.g. no usable Java
        _fail(exc)
        return 1
    t0 = time.monotonic()
    with StopSignals() as signals:
        if not detach:
            _write_up_pid(settings)
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
            except (StackError, KeyboardInterrupt) as exc:
                signals.starting = False
                signals.stopping = True
                if isinstance(exc, StackError):
                    _fail(exc)
                else:
                    err.print("interrupted during start-up")
                if gen is not None:
                    signals.stop.set()
                    gen.join(timeout=60)
                if not was_running and not detach:
                    err.print("stopping what was started...")
                    _stop_quietly(settings)
                return 1 if isinstance(exc, StackError) else 130
            err.print(f"stack up in {time.monotonic() - t0:.1f} s")
            gen_rate = (rate if rate is not None else settings.generator.rate) if gen else None
            Console().print(panel(settings, results, gen_rate))
            if detach:
                return 0
            code = 0
            if gen is not None:
                code = gen.wait(err)
            else:
                err.print("stack up; Ctrl-C stops it")
                while not signals.stop.wait(1.0):
                    pass
            if keep:
                err.print("the stack keeps running; `rta down` stops it")
                return code
            signals.stopping = True
            try:
                stop_stack(settings)
            except StackError as exc:
                _fail(exc)
                return 1
            return code
        finally:
            if not detach:
                with contextlib.suppress(FileNotFoundError, ValueError):
                    if up_pid_file(settings).read_text().split()[0] == str(os.getpid()):
                        up_pid_file(settings).unlink()


def _stop_quietly(settings: Settings) -> None:
    try:
        stop_stack(settings)
    except StackError as exc:
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

    def wait(self, console: Console) -> int:
        """Show progress until the generator ends (Ctrl-C); summarise; return an exit code."""
        from rta.commands.generate import describe

        started, last_sent = time.monotonic(), self.sent
        last_t = started
        rate = 0.0
        try:
            with console.status("generating...") as status:
                while self._thread.is_alive():
                    self._thread.join(1.0)
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
        console.print(escape(describe(self.summary, topic)))
        if self.summary.error:
            console.print(f"[red]rta up: generator: {escape(self.summary.error)}[/red]")
            return 1
        return 0


def down(ctx: typer.Context) -> None:
    """Stop everything that `rta up` started, in reverse order.

    A foreground `rta up` is asked to stop first (its generator flushes), then every
    local component stops, Flink with a final savepoint. Remote services
    (RTA_KAFKA__BOOTSTRAP_SERVERS, RTA_FLINK__REST_URL, RTA_PINOT__CONTROLLER_URL) are
    left alone. State: RTA_STATE_DIR.
    """
    settings: Settings = ctx.obj
    raise typer.Exit(run_down(settings))


def run_down(settings: Settings, wait_s: float = 600.0) -> int:
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
    except StackError as exc:
        _fail(exc)
        return 1
    return 0
