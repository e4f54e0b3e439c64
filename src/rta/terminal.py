"""How the stack's start and stop look on the terminal: a spinner that names what is
in progress, one line per engine once it is ready, and the panel of what runs where."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from rta.pinot.report import EXAMPLE_QUERIES
from rta.settings import Settings
from rta.stack.supervisor import StepResult


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
    """One line per component: what happened, how long it took (when it started: until
    it answered, then its set-up), what it set up."""
    changes = ""
    if len(r.changes) > 3:
        changes = f"{', '.join(r.changes[:2])} and {len(r.changes) - 2} more"
    elif r.changes:
        changes = ", ".join(r.changes)
    if r.ready_s is not None:
        split = f"up in {r.ready_s:.1f} s, set-up {r.seconds - r.ready_s:.1f} s"
        changes = f"{split}: {changes}" if changes else split
    extra = f" ({changes})" if changes else ""
    return f"[green]✓[/green] {escape(r.component)}: {escape(r.action)} in {r.seconds:.1f} s" + (
        escape(extra)
    )


def panel(settings: Settings, results: list[StepResult], generating: float | None) -> Panel:
    """What runs where, the URLs, and three queries to try."""
    running = Table.grid(padding=(0, 2))
    for r in results:
        running.add_row(r.component, r.action, f"{r.seconds:.1f} s")
    urls = Table.grid(padding=(0, 2))
    urls.add_row("Flink dashboard", settings.flink.url)
    urls.add_row("Pinot query console", settings.pinot.controller)
    if settings.dashboard.with_stack:
        urls.add_row("rta dashboard", settings.dashboard.url)
    urls.add_row("Kafka bootstrap", settings.kafka.bootstrap)
    c = settings.collector
    if c.with_stack or c.is_remote:
        urls.add_row(
            "Collector", f"POST {c.endpoint}/v1/events (keys: rta collector keys add NAME)"
        )
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
