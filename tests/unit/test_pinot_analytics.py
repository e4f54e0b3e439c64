"""The analytics' SQL (rta.pinot.analytics): time filters Pinot can prune on, the
columns the event contract and the tables define, one definition for the dashboard,
`rta report` and bench/query.py."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from rta.events import Purchase
from rta.pinot import analytics
from rta.pinot.report import report_queries

REPO = Path(__file__).resolve().parents[2]
LO, HI = 1_893_488_400_000, 1_893_492_030_000


@pytest.mark.parametrize(
    ("sql", "column"),
    [
        (analytics.active_users_sql(LO, HI), "window_start"),
        (analytics.open_minutes_sql(LO, HI), "event_time_ms"),
        (analytics.top_products_sql(LO, HI, 10), "window_start"),
        (analytics.views_by_category_sql(LO, HI), "window_start"),
        (analytics.funnel_sql(LO, HI), "event_time_ms"),
        (analytics.revenue_sql(LO, HI), "event_time_ms"),
        (analytics.recent_sessions_sql(LO, HI, 50), "session_end"),
    ],
)
def test_every_query_filters_its_time_column_on_both_bounds(sql: str, column: str) -> None:
    assert f"{column} >= {LO} AND {column} < {HI}" in sql


def test_the_open_minute_and_funnel_read_raw_events() -> None:
    # The user id's 60-bit key (a set of longs, not of UUID strings, goes to the broker).
    assert "DISTINCTCOUNT(user_key)" in analytics.open_minutes_sql(LO, HI)
    assert "FROM raw_events" in analytics.open_minutes_sql(LO, HI)
    funnel = analytics.funnel_sql(LO, HI)
    assert "FROM raw_events" in funnel
    assert "GROUP BY event_type" in funnel


def test_revenue_sums_the_purchase_amount_of_the_contract() -> None:
    sql = analytics.revenue_sql(LO, HI)
    assert "total_amount" in Purchase.model_fields
    assert "SUM(total_amount)" in sql
    assert "event_type = 'purchase'" in sql


def test_limits_hold_every_minute_of_the_range() -> None:
    # 60.5 minutes: 61 minute rows at most, one spare.
    assert analytics.active_users_sql(LO, HI).endswith("LIMIT 62")
    assert analytics.revenue_sql(LO, HI).endswith("LIMIT 62")


def test_dashboard_queries_put_the_open_minute_in_the_minute_of_until() -> None:
    q = analytics.dashboard_queries(HI)
    assert set(q) == {
        "active_users",
        "open_minute",
        "top_products",
        "views_by_category",
        "funnel",
        "revenue",
        "sessions",
        "rows_raw_events",
        "rows_active_users_per_minute",
        "rows_product_analytics_per_minute",
        "rows_session_analytics",
        "newest_raw_events",
        "newest_active_users_per_minute",
        "newest_product_analytics_per_minute",
        "newest_session_analytics",
    }
    assert q["rows_session_analytics"] == "SELECT COUNT(*) FROM session_analytics"
    assert q["newest_session_analytics"] == (
        "SET skipUpsert = true; SELECT MAX(session_end) FROM session_analytics"
    )
    assert f">= {HI - HI % 60_000} AND" in q["open_minute"]
    open_end = HI - HI % 60_000 + 60_000
    assert f"event_minute_ms >= {open_end - 15 * 60_000} AND" in q["funnel"]
    assert f"event_minute_ms < {open_end} " in q["revenue"]


def test_whole_minutes_end_with_the_minute_of_until() -> None:
    minute = 60_000
    assert analytics.whole_minutes(LO, 15) == (LO - 15 * minute, LO)  # LO is a minute start
    assert analytics.whole_minutes(LO + 1, 15) == (LO - 14 * minute, LO + minute)
    assert analytics.whole_minutes(LO + minute - 1, 1) == (LO, LO + minute)


def test_whole_minute_bounds_read_the_minute_column_and_others_the_time() -> None:
    # Same rows either way: floor(t) >= since <=> t >= since when since is a minute start.
    assert f"event_minute_ms >= {LO} AND event_minute_ms < {LO + 60_000}" in (
        analytics.funnel_sql(LO, LO + 60_000)
    )
    assert f"event_minute_ms >= {LO - 60_000} AND event_minute_ms < {LO}" in (
        analytics.revenue_sql(LO - 60_000, LO)
    )
    assert "event_time_ms" not in analytics.funnel_sql(LO, LO + 60_000)
    assert "event_minute_ms" not in analytics.funnel_sql(LO, LO + 1)
    assert "event_minute_ms" not in analytics.funnel_sql(LO + 1, LO + 60_000)


def test_the_star_tree_covers_the_minute_queries() -> None:
    config = json.loads((REPO / "src/rta/pinot/tables/raw_events.table.json").read_text())
    (tree,) = config["tableIndexConfig"]["starTreeIndexConfigs"]
    assert tree["dimensionsSplitOrder"] == [analytics.MINUTE_COLUMN, "event_type"]
    assert {"COUNT__*", "SUM__total_amount"} <= set(tree["functionColumnPairs"])


def test_report_and_dashboard_share_the_definitions() -> None:
    report = report_queries(LO, HI, 10, 60)
    assert report["active_users"] == analytics.active_users_sql(LO, HI)
    assert report["top_products"] == analytics.top_products_sql(LO, HI, 10)


def test_the_bench_times_the_dashboards_own_queries() -> None:
    tree = ast.parse((REPO / "bench" / "query.py").read_text())
    imported = {
        (node.module, a.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for a in node.names
    }
    assert ("rta.pinot.analytics", "dashboard_queries") in imported
    # No SQL of its own beyond the baseline.
    selects = re.findall(r'= "SELECT [^"]*"', (REPO / "bench" / "query.py").read_text())
    assert selects == ['= "SELECT COUNT(*) FROM raw_events"']
