"""`rta logs [component]`: list, show or follow the logs of the local stack."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from rta.settings import Settings
from rta.stack.probes import log_tail

err = Console(stderr=True, highlight=False, soft_wrap=True)


def log_files(settings: Settings) -> dict[str, Path]:
    """Every log of the stack, by name (kafka, zookeeper, pinot, flink-jobmanager, ...)."""
    logs = settings.state_dir / "logs"
    return {p.stem: p for p in sorted(logs.glob("*.log"))} if logs.is_dir() else {}


def select(files: dict[str, Path], component: str) -> dict[str, Path]:
    """The logs a name asks for: an exact name, else every log starting with it
    (`flink` gives the JobManager, TaskManager and SQL Gateway logs)."""
    if component in files:
        return {component: files[component]}
    return {name: path for name, path in files.items() if name.startswith(component)}


def follow(
    files: dict[str, Path],
    emit: Callable[[str], None],
    *,
    lines: int,
    stop: Callable[[], bool] = lambda: False,
    interval_s: float = 0.25,
) -> None:
    """Print the last `lines` of each file, then what is appended, like `tail -f`.

    With several files each line is prefixed with its log's name. A file that is
    truncated or replaced (a restarted component) is read again from its start.
    """
    prefix = len(files) > 1
    offsets: dict[str, int] = {}
    for name, path in files.items():
        for line in (log_tail(path, lines) if lines else "").splitlines():
            emit(f"{name} | {line}" if prefix else line)
        offsets[name] = path.stat().st_size if path.exists() else 0
    partial = dict.fromkeys(files, "")
    while not stop():
        quiet = True
        for name, path in files.items():
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                continue
            if size < offsets[name]:
                offsets[name] = 0
            if size == offsets[name]:
                continue
            with open(path, "rb") as fh:
                fh.seek(offsets[name])
                chunk = fh.read()
            offsets[name] += len(chunk)
            text = partial[name] + chunk.decode(errors="replace")
            *complete, partial[name] = text.split("\n")
            for line in complete:
                emit(f"{name} | {line}" if prefix else line)
            quiet = False
        if quiet:
            time.sleep(interval_s)


def logs(
    ctx: typer.Context,
    component: Annotated[
        str | None,
        typer.Argument(
            help="kafka, zookeeper, pinot, flink (all three Flink logs) or one of "
            "flink-jobmanager, flink-taskmanager, flink-sql-gateway. Omit to list the logs."
        ),
    ] = None,
    follow_: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines until Ctrl-C.")
    ] = False,
    lines: Annotated[
        int, typer.Option("--lines", "-n", min=0, help="How many of the last lines to show.")
    ] = 50,
) -> None:
    """Show or follow a component's log (without a component: list the logs).

    Logs live in <state dir>/logs/ (RTA_STATE_DIR, default .rta); the options here
    have no environment variable.
    """
    settings: Settings = ctx.obj
    files = log_files(settings)
    if component is None:
        if not files:
            err.print(f"no logs in {settings.state_dir / 'logs'} (has `rta up` run there?)")
            raise typer.Exit(1)
        t = Table("component", "size", "modified", "path")
        for name, path in files.items():
            st = path.stat()
            t.add_row(
                name,
                f"{st.st_size / 1e6:,.1f} MB",
                time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(st.st_mtime)),
                str(path),
            )
        Console().print(t)
        return
    chosen = select(files, component)
    if not chosen:
        known = ", ".join(files) or "none yet"
        err.print(f"[red]rta logs: no log for {component!r} (known: {known})[/red]")
        raise typer.Exit(2)
    if not follow_:
        for path in chosen.values():
            if len(chosen) > 1:
                typer.echo(f"==> {path} <==")
            if lines:
                typer.echo(log_tail(path, lines))
        return
    with contextlib.suppress(KeyboardInterrupt):
        follow(chosen, typer.echo, lines=lines)
