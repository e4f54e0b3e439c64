from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from rta.pinot.output import OutputFormat, as_csv, as_json, as_table
from rta.pinot.query import PinotClient, PinotQueryError
from rta.settings import Settings


def query(
    ctx: typer.Context,
    sql: Annotated[str, typer.Argument(help='Pinot SQL, e.g. "SELECT COUNT(*) FROM raw_events".')],
    fmt: Annotated[
        OutputFormat,
        typer.Option("--format", "-f", help="table for people; json or csv for programs."),
    ] = OutputFormat.table,
) -> None:
    """Run a SQL query on the Pinot broker and print the result."""
    settings: Settings = ctx.obj
    try:
        with PinotClient(settings.pinot.broker) as client:
            result = client.query(sql)
    except PinotQueryError as exc:
        typer.secho(f"rta query: {exc}", err=True, fg="red")
        raise typer.Exit(1) from None
    if fmt is OutputFormat.json:
        typer.echo(as_json(result))
    elif fmt is OutputFormat.csv:
        typer.echo(as_csv(result), nl=False)
    else:
        Console().print(as_table(result))
        Console(stderr=True).print(
            f"{len(result.rows)} row(s) in {result.time_ms} ms", style="dim", highlight=False
        )
