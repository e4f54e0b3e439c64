"""Queries against the Pinot broker's SQL endpoint, used by the CLI, dashboard and tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx


class PinotQueryError(Exception):
    """Pinot refused or failed the query; the message is Pinot's own."""


class PinotUnavailableError(PinotQueryError):
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


class PinotClient:
    """A small synchronous client for the broker (queries) and controller (admin)."""

    def __init__(self, broker_url: str, timeout_s: float = 30.0) -> None:
        self.broker_url = broker_url.rstrip("/")
        self._http = httpx.Client(timeout=timeout_s)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PinotClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def query(self, sql: str) -> QueryResult:
        try:
            resp = self._http.post(f"{self.broker_url}/query/sql", json={"sql": sql})
        except httpx.TransportError as exc:
            raise PinotUnavailableError(
                f"cannot reach the Pinot broker at {self.broker_url} ({exc}); "
                "is the stack up? (`rta stack up`)"
            ) from None
        if resp.status_code != 200:
            raise PinotQueryError(f"broker answered HTTP {resp.status_code}: {resp.text[:500]}")
        return parse_response(resp.json())


def parse_response(body: dict[str, Any]) -> QueryResult:
    exceptions = body.get("exceptions") or []
    if exceptions:
        raise PinotQueryError("; ".join(str(e.get("message", e)).strip() for e in exceptions))
    table = body.get("resultTable")
    if table is None:
        return QueryResult([], [], [], int(body.get("timeUsedMs", 0)))
    schema = table["dataSchema"]
    stats = {
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
