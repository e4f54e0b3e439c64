from __future__ import annotations

import typer


def generate(ctx: typer.Context) -> None:
    """Generate realistic shop events (placeholder until the generator lands)."""
    typer.secho("rta generate: not implemented yet", err=True, fg="yellow")
    raise typer.Exit(1)
