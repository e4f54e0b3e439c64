"""`rta reset`: wipe the local stack's state directory (data, logs, checkpoints)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from rta import watchdog
from rta.settings import Settings
from rta.stack import StackError, supervisor

err = Console(stderr=True, highlight=False, soft_wrap=True)

# What `rta up` (or `rta collector keys add`) creates in a state directory; one of them
# must be there before we delete.
MARKERS = ("run", "logs", "kafka", "pinot", "flink", "collector")


class ResetRefused(Exception):
    pass


def size_of(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def check_resettable(settings: Settings) -> Path:
    """The resolved state directory, if it is safe to delete; else ResetRefused."""
    state = settings.state_dir.resolve()
    if state in (Path("/"), Path.home().resolve(), Path.cwd().resolve()):
        raise ResetRefused(f"refusing to delete {state}: that is not a state directory")
    if not any((state / m).exists() for m in MARKERS):
        raise ResetRefused(
            f"{state} does not look like an rta state directory (none of "
            f"{', '.join(MARKERS)} in it); not deleting it"
        )
    try:
        running = [c.name for c in supervisor.components(settings) if c.is_running()]
    except StackError:
        running = []  # no usable Java: then nothing of ours can run either
    if watchdog.running(settings) is not None:
        running.append("watchdog")  # it would start components again while we delete
    if running:
        raise ResetRefused(
            f"the stack is running ({', '.join(running)}); stop it first with `rta down`"
        )
    return state


def reset(
    ctx: typer.Context,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (no env var).")
    ] = False,
) -> None:
    """Delete the state directory: all data, checkpoints and logs (asks first).

    The state directory is RTA_STATE_DIR (default .rta): Kafka's topics, Pinot's
    tables and segments, Flink's checkpoints and savepoints, logs, the collector's
    write keys. The next
    `rta up` starts from nothing. Asks first unless --yes; refuses while the
    stack runs.
    """
    settings: Settings = ctx.obj
    if not settings.state_dir.exists():
        err.print(f"nothing to reset: {settings.state_dir} does not exist")
        return
    try:
        state = check_resettable(settings)
    except ResetRefused as exc:
        err.print(f"[red]rta reset: {escape(str(exc))}[/red]")
        raise typer.Exit(1) from None
    size = size_of(state)
    if not yes and not typer.confirm(
        f"Delete {state} ({size / 1e6:,.0f} MB: Kafka data, Pinot tables, Flink "
        "checkpoints, logs, the collector's write keys)?",
        default=False,
        err=True,
    ):
        err.print("left as it was")
        raise typer.Exit(1)
    shutil.rmtree(state)
    err.print(f"deleted {state} ({size / 1e6:,.0f} MB)")
