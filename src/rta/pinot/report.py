"""`rta report`'s three sections and `rta up`'s example queries; the SQL itself is
defined once, in rta.pinot.analytics, with the dashboard's."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from rta.pinot import analytics
from rta.pinot.query import PinotClient, QueryResult
from rta.tables import ACTIVE_USERS, PRODUCTS, SESSIONS

_NOT_FINITE = {"Infinity", "-Infinity", "NaN"}

# What `rta up` suggests trying once the stack runs.
EXAMPLE_QUERIES = (
    f"SELECT * FROM {ACTIVE_USERS.name} ORDER BY window_start DESC LIMIT 5",
    f"SELECT product_id, SUM(view_count) AS v FROM {PRODUCTS.name} "
    "GROUP BY product_id ORDER BY v DESC LIMIT 5",
    f"SELECT COUNT(*), SUM(purchases_made) FROM {SESSIONS.name}",
)


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
    """The Pinot SQL of each section (epoch-millis bounds, start inclusive, end exclusive);
    the same definitions as the dashboard's panels (rta.pinot.analytics)."""
    return {
        "active_users": analytics.active_users_sql(since_ms, until_ms),
        "top_products": analytics.top_products_sql(since_ms, until_ms, top),
        "sessions": analytics.session_totals_sql(since_ms, until_ms),
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
