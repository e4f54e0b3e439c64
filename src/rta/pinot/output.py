"""Render query results as a terminal table, JSON or CSV."""

from __future__ import annotations

import csv
import io
from enum import StrEnum

import orjson
from rich.table import Table

from rta.pinot.query import QueryResult


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def as_table(result: QueryResult, title: str | None = None) -> Table:
    table = Table(*result.columns, title=title)
    for row in result.rows:
        table.add_row(*(_cell(v) for v in row))
    return table


def as_json(result: QueryResult) -> str:
    """A JSON array of row objects; LONG time columns stay epoch millis."""
    return orjson.dumps(result.records(), option=orjson.OPT_INDENT_2).decode()


def as_csv(result: QueryResult) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(result.columns)
    writer.writerows(result.rows)
    return buf.getvalue()


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:.0f}"
    return str(value)
