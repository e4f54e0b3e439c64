"""`rta stack up/down/status`: the old names of `rta up --detach --no-generate`,
`rta down` and `rta status`, kept for one release with a deprecation line."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console

from rta.foreground import run_down, run_up
from rta.settings import Settings

err = Console(stderr=True, highlight=False)


def _deprecated(old: str, new: str) -> None:
    err.print(f"[yellow]`rta stack {old}` is deprecated and will be removed; use `{new}`.[/yellow]")


def up(ctx: typer.Context) -> None:
    """Deprecated: `rta up --detach --no-generate` (start the stack, then return)."""
    _deprecated("up", "rta up --detach --no-generate")
    settings: Settings = ctx.obj
    raise typer.Exit(run_up(settings, generate=False, detach=True))


def down(ctx: typer.Context) -> None:
    """Deprecated: `rta down`."""
    _deprecated("down", "rta down")
    raise typer.Exit(run_down(ctx.obj))


def aliases(status: Callable[..., None]) -> typer.Typer:
    """The `rta stack` group; `status` is the `rta status` command it stands for."""

    @functools.wraps(status)
    def stack_status(*args: Any, **kwargs: Any) -> None:
        _deprecated("status", "rta status")
        status(*args, **kwargs)

    stack_status.__doc__ = "Deprecated: `rta status`."
    app = typer.Typer(
        help="Deprecated: use `rta up --detach --no-generate`, `rta down` and `rta status`.",
        no_args_is_help=True,
    )
    app.command("up")(up)
    app.command("down")(down)
    app.command("status")(stack_status)
    return app
