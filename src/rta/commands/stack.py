from __future__ import annotations

import time

import typer
from rich.console import Console
from rich.table import Table

from rta.settings import Settings
from rta.stack import StackError, supervisor

app = typer.Typer(
    help="Start, stop and inspect the local stack (real Kafka on 127.0.0.1).",
    no_args_is_help=True,
)
err = Console(stderr=True)


def _fail(exc: StackError) -> typer.Exit:
    err.print(f"[red]rta: {exc}[/red]", highlight=False)
    if exc.log is not None:
        err.print(f"Full log: {exc.log}", highlight=False)
    return typer.Exit(1)


@app.command("up")
def up(ctx: typer.Context) -> None:
    """Start every local component, wait until each answers, create topics.

    Idempotent: components already running are left alone. Data lives under the
    state directory (RTA_STATE_DIR, default .rta/) and survives `down`/`up`.
    """
    settings: Settings = ctx.obj
    start = time.monotonic()
    try:
        with err.status("starting the local stack...") as spinner:
            results = supervisor.up(settings, notify=lambda m: spinner.update(m + "..."))
    except StackError as exc:
        raise _fail(exc) from None
    for r in results:
        extra = f" ({', '.join(r.changes)})" if r.changes else ""
        err.print(f"[green]✓[/green] {r.component}: {r.action} in {r.seconds:.1f} s{extra}")
    err.print(f"stack up in {time.monotonic() - start:.1f} s; logs in {settings.state_dir}/logs")


@app.command("down")
def down(ctx: typer.Context) -> None:
    """Stop every local component in reverse start order (SIGTERM, then SIGKILL after 30 s)."""
    settings: Settings = ctx.obj
    try:
        with err.status("stopping the local stack...") as spinner:
            results = supervisor.down(settings, notify=lambda m: spinner.update(m + "..."))
    except StackError as exc:
        raise _fail(exc) from None
    for r in results:
        err.print(f"{r.component}: {r.action} ({r.seconds:.1f} s)")


@app.command("status")
def status(ctx: typer.Context) -> None:
    """Show each local component's state, pid, ports, uptime and memory."""
    settings: Settings = ctx.obj
    try:
        rows = supervisor.status(settings)
    except StackError as exc:
        raise _fail(exc) from None
    table = Table("component", "process", "state", "pid", "ports", "uptime", "memory")
    for r in rows:
        table.add_row(
            r.component,
            r.process,
            "[green]running[/green]" if r.state == "running" else "[red]stopped[/red]",
            str(r.pid or "-"),
            ",".join(map(str, r.ports)),
            f"{r.uptime_s:.0f} s" if r.uptime_s is not None else "-",
            f"{r.rss_mb:.0f} MB" if r.rss_mb is not None else "-",
        )
    Console().print(table)
    if any(r.state != "running" for r in rows):
        raise typer.Exit(3)
