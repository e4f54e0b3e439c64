"""`rta report`: the seed's three analytics for the last N minutes, read from Pinot."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console

from rta.pinot.output import OutputFormat, as_table
from rta.pinot.query import PinotClient, PinotQueryError, QueryResult
from rta.settings import Settings
from rta.tables import ACTIVE_USERS, PRODUCTS, SESSIONS

_TIME_COLUMNS = {"window_start", "window_end"}
_NOT_FINITE = {"Infinity", "-Infinity", "NaN"}


@dataclass(frozen=True)
class Report:
    since_ms: int
    until_ms: int
    active_users: QueryResult
    top_products: QueryResult
    sessions: QueryResult

    def sections(self) -> dict[str, QueryResult]:
        return {
            "active_users": self.active_users,
            "top_products": self.top_products,
            "sessions": self.sessions,
        }


def report_queries(since_ms: int, until_ms: int, top: int, minutes: int) -> dict[str, str]:
    """The Pinot SQL of each section (epoch-millis bounds, start inclusive, end exclusive)."""
    window = f"window_start >= {since_ms} AND window_start < {until_ms}"
    return {
        "active_users": (
            f"SELECT window_start, window_end, active_users FROM {ACTIVE_USERS.name} "
            f"WHERE {window} ORDER BY window_start LIMIT {minutes + 1}"
        ),
        "top_products": (
            "SELECT product_id, product_name, product_category, SUM(view_count) AS views, "
            "SUM(view_count * avg_price) / SUM(view_count) AS avg_price "
            f"FROM {PRODUCTS.name} WHERE {window} "
            "GROUP BY product_id, product_name, product_category "
            f"ORDER BY SUM(view_count) DESC, product_id LIMIT {top}"
        ),
        "sessions": (
            "SELECT COUNT(*) AS sessions, SUM(event_count) AS events, "
            "AVG(event_count) AS avg_events, SUM(products_viewed) AS products_viewed, "
            "SUM(products_added_to_cart) AS added_to_cart, SUM(purchases_made) AS purchases "
            f"FROM {SESSIONS.name} "
            f"WHERE session_end >= {since_ms} AND session_start < {until_ms}"
        ),
    }


def build_report(
    client: PinotClient, minutes: int, now_ms: int | None = None, top: int = 10
) -> Report:
    """Query the three result tables for [now - minutes, now)."""
    until_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    since_ms = until_ms - minutes * 60_000
    results = {
        name: _finite(client.query(sql))
        for name, sql in report_queries(since_ms, until_ms, top, minutes).items()
    }
    return Report(since_ms, until_ms, **results)


def _finite(result: QueryResult) -> QueryResult:
    """Pinot answers an aggregate over no rows with "-Infinity"/"NaN" strings: make those None."""
    rows = [[None if v in _NOT_FINITE else v for v in row] for row in result.rows]
    return replace(result, rows=rows)


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
