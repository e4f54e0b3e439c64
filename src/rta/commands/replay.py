"""`rta replay FILE`: parse options, call rta.replay.replay_file, print the summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from rta.generator.progress import ProgressDisplay
from rta.kafka.client import WAIT_WORTH_SAYING_S
from rta.replay import ReplayError, replay_file
from rta.settings import Settings
from rta.signals import StopSignals

err = Console(stderr=True, highlight=False, soft_wrap=True)


def replay(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(help="JSON-lines file of events (e.g. from `rta generate --sink file`)."),
    ],
    topic: Annotated[
        str | None,
        typer.Option(help="Target topic (default: env RTA_KAFKA__RAW_TOPIC, else raw_events)."),
    ] = None,
    rate: Annotated[
        float, typer.Option(min=0.0, help="Lines per second, 0 = as fast as possible.")
    ] = 0.0,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress display, only the summary.")
    ] = False,
) -> None:
    """Produce a JSON-lines file to Kafka in file order, each line's bytes untouched,
    keyed by its session_id.

    Lines that break the event contract go to the DLQ topic (RTA_KAFKA__DLQ_TOPIC,
    raw_events_dlq) with the reason and FILE:LINE in headers; they are counted and
    do not stop the replay (exit code 0). Blank lines are skipped. Exit code 1 if
    the file is missing, Kafka is unreachable or records were not delivered.
    """
    settings: Settings = ctx.obj
    progress = ProgressDisplay(f"replaying {file.name}", enabled=None if not quiet else False)
    try:
        # Ctrl-C: the replay stops after its line, flushes and summarises.
        with StopSignals() as signals:
            summary = replay_file(
                file, settings, topic=topic, rate=rate, stop=signals.stop, progress=progress
            )
    except ReplayError as exc:
        err.print(f"[red]rta replay: {escape(str(exc))}[/red]")
        raise typer.Exit(1) from None
    target = topic or settings.kafka.raw_topic
    head = "interrupted: " if summary.interrupted else ""
    waited = summary.waited_s >= WAIT_WORTH_SAYING_S
    err.print(
        f"{head}sent {summary.sent:,} to {target}, rejected {summary.rejected:,} "
        f"to {settings.kafka.dlq_topic} in {summary.elapsed_s:.2f} s"
        + (f" ({summary.blank:,} blank lines skipped)" if summary.blank else "")
        + (f"; waited {summary.waited_s:.1f} s for Kafka" if waited else "")
    )
    for reason in summary.reasons:
        err.print(f"  {escape(reason)}")
    if summary.rejected > len(summary.reasons):
        err.print(f"  … and {summary.rejected - len(summary.reasons):,} more (see the DLQ headers)")
