"""Queries against the Pinot broker's SQL endpoint, used by the CLI, the health checks and tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rta.errors import ServiceError, ServiceUnavailableError
from rta.http import JsonClient


class PinotQueryError(ServiceError):
    """Pinot refused or failed the query; the message is Pinot's own."""


class PinotUnavailableError(PinotQueryError, ServiceUnavailableError):
    """The broker could not be reached."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    types: list[str]
    rows: list[list[Any]]
    time_ms: int = 0
    stats: dict[str, Any] = field(default_factory=dict)

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


class PinotClient(JsonClient):
    """A small synchronous client for the broker's SQL endpoint."""

    service = "the Pinot broker"
    error = PinotQueryError
    unavailable_error = PinotUnavailableError
    unreachable_hint = "is the stack up? (`rta up`)"

    def query(self, sql: str, options: dict[str, str] | None = None) -> QueryResult:
        """Run one statement; `options` are Pinot query options (e.g. useStarTree)."""
        body = {"sql": sql}
        if options:
            body["queryOptions"] = ";".join(f"{k}={v}" for k, v in options.items())
        return parse_response(self.request("POST", "/query/sql", json=body))


def parse_response(body: dict[str, Any]) -> QueryResult:
    exceptions = body.get("exceptions") or []
    if exceptions:
        raise PinotQueryError("; ".join(str(e.get("message", e)).strip() for e in exceptions))
    table = body.get("resultTable")
    if table is None:
        return QueryResult([], [], [], int(body.get("timeUsedMs", 0)))
    schema = table["dataSchema"]
    stats: dict[str, Any] = {
        k: body[k]
        for k in ("numDocsScanned", "totalDocs", "numSegmentsQueried", "numServersResponded")
        if k in body
    }
    return QueryResult(
        list(schema["columnNames"]),
        list(schema["columnDataTypes"]),
        [list(r) for r in table["rows"]],
        int(body.get("timeUsedMs", 0)),
        stats,
    )
