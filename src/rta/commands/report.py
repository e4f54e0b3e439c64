"""`rta report`: the seed's three analytics for the last N minutes, read from Pinot."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console

from rta.pinot.output import OutputFormat, as_table
from rta.pinot.query import PinotClient, PinotQueryError, QueryResult
from rta.pinot.report import build_report
from rta.settings import Settings

_TIME_COLUMNS = {"window_start", "window_end"}


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _readable(result: QueryResult) -> QueryResult:
    """Epoch-millis window columns as UTC date-times, for people."""
    idx = [i for i, c in enumerate(result.columns) if c in _TIME_COLUMNS]
    if not idx:
        return result
    rows: list[list[Any]] = [
        [_iso(v) if i in idx and isinstance(v, int) else v for i, v in enumerate(row)]
        for row in result.rows
    ]
    return replace(result, rows=rows)


def report(
    ctx: typer.Context,
    minutes: Annotated[
        int, typer.Option("--minutes", "-m", min=1, help="How far back to look.")
    ] = 60,
    top: Annotated[int, typer.Option("--top", min=1, help="How many products to list.")] = 10,
    fmt: Annotated[
        OutputFormat,
        typer.Option("--format", "-f", help="table for people; json for programs."),
    ] = OutputFormat.table,
) -> None:
    """Print active users per minute, top products by views and session totals."""
    settings: Settings = ctx.obj
    if fmt is OutputFormat.csv:
        typer.secho("rta report: --format csv is not supported (use table or json)", err=True)
        raise typer.Exit(2)
    try:
        with PinotClient(settings.pinot.broker) as client:
            rep = build_report(client, minutes, top=top)
    except PinotQueryError as exc:
        typer.secho(f"rta report: {exc}", err=True, fg="red")
        raise typer.Exit(1) from None
    if fmt is OutputFormat.json:
        doc = {
            "since_ms": rep.since_ms,
            "until_ms": rep.until_ms,
            **{name: res.records() for name, res in rep.sections().items()},
        }
        typer.echo(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode())
        return
    console = Console()
    span = f"{_iso(rep.since_ms)} .. {_iso(rep.until_ms)} UTC"
    console.print(as_table(_readable(rep.active_users), title=f"Active users per minute, {span}"))
    console.print(as_table(rep.top_products, title=f"Top {top} products by views"))
    console.print(as_table(rep.sessions, title="Sessions active in the period"))
