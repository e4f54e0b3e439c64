"""`rta up` and `rta down`: the whole local stack plus the generator, in the foreground.

The commands only parse options; the session itself is rta.foreground.
"""

from __future__ import annotations

from typing import Annotated

import typer

from rta.foreground import run_down, run_up
from rta.settings import Settings


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

    Checks Java, memory and disk; starts Kafka, then Flink, the HTTP collector and
    the dashboard in parallel, and Pinot once Flink answers (the first result waits on
    Flink, not Pinot); creates topics and tables; submits the pipeline
    (resuming from its last checkpoint); prints what runs where; then generates
    events until Ctrl-C, restarting any process that exits.
    Ctrl-C flushes the generator and stops everything in reverse order, Flink
    with a final savepoint. Components pointed at remote services
    (RTA_KAFKA__BOOTSTRAP_SERVERS, RTA_FLINK__REST_URL, RTA_PINOT__CONTROLLER_URL)
    start nothing locally; RTA_COLLECTOR__WITH_STACK=false and
    RTA_DASHBOARD__WITH_STACK=false leave the collector and the dashboard out.
    State: RTA_STATE_DIR (default .rta).
    """
    settings: Settings = ctx.obj
    raise typer.Exit(
        run_up(
            settings, rate=rate, generate=generate and not detach, detach=detach, keep=keep_running
        )
    )


def down(ctx: typer.Context) -> None:
    """Stop everything that `rta up` started, in reverse order.

    A foreground `rta up` is asked to stop first (its generator flushes), then every
    local component stops, Flink with a final savepoint. Remote services
    (RTA_KAFKA__BOOTSTRAP_SERVERS, RTA_FLINK__REST_URL, RTA_PINOT__CONTROLLER_URL) are
    left alone. State: RTA_STATE_DIR.
    """
    settings: Settings = ctx.obj
    raise typer.Exit(run_down(settings))
