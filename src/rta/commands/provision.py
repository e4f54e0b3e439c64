"""`rta provision`: topics, tables and the pipeline job on running engines."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from rta.errors import RtaError
from rta.provision import PARTS, Part, provision
from rta.settings import Settings

err = Console(stderr=True, highlight=False, soft_wrap=True)


def provision_command(
    ctx: typer.Context,
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only",
            help="Provision only this part: topics, tables or pipeline; repeat for several "
            "(default: all three, in that order).",
        ),
    ] = None,
) -> None:
    """Create rta's Kafka topics, apply its Pinot tables and submit the Flink job on the
    engines the settings name, local or remote; start nothing.

    Idempotent: what exists is left alone, and a running job is reused. This is what
    the docker compose init service runs, with RTA_KAFKA__BOOTSTRAP_SERVERS,
    RTA_PINOT__CONTROLLER_URL, RTA_FLINK__REST_URL and RTA_FLINK__GATEWAY_URL set.
    """
    settings: Settings = ctx.obj
    unknown = sorted(set(only or ()) - set(PARTS))
    if unknown:
        err.print(f"[red]rta provision: unknown part {', '.join(unknown)}; one of {PARTS}[/red]")
        raise typer.Exit(2)
    parts: list[Part] = [p for p in PARTS if not only or p in only]
    started = time.monotonic()
    try:
        with err.status("provisioning...") as spinner:
            done = provision(settings, parts, notify=lambda m: spinner.update(m + "..."))
    except RtaError as exc:
        err.print(f"[red]rta provision: {escape(str(exc))}[/red]")
        raise typer.Exit(1) from None
    for step in done:
        what = ", ".join(step.changes) if step.changes else "nothing to change"
        err.print(f"[green]✓[/green] {step.part}: {escape(what)} ({step.seconds:.1f} s)")
    err.print(f"provisioned in {time.monotonic() - started:.1f} s")
