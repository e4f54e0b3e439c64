from __future__ import annotations

import typer


def replay(ctx: typer.Context) -> None:
    """Replay a JSON-lines file of events to Kafka (placeholder)."""
    typer.secho("rta replay: not implemented yet", err=True, fg="yellow")
    raise typer.Exit(1)
