"""`rta watch` (hidden): the watchdog process that `rta up --detach` starts; not for
people to run (rta.watchdog)."""

from __future__ import annotations

import typer

from rta import watchdog
from rta.settings import Settings


def watch(ctx: typer.Context) -> None:
    """Watch the local stack's processes and restart any that exits, until SIGTERM.

    Started by `rta up --detach` and stopped by `rta down`; settings RTA_WATCH__*.
    """
    settings: Settings = ctx.obj
    raise typer.Exit(watchdog.run(settings))
