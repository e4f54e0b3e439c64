"""The analytics panels: rta.pinot.analytics' queries, answered as the page's JSON.

Each function takes the query function (the broker's SQL endpoint, or a fake in tests)
and the end of its time range, and raises PinotQueryError when Pinot does not answer;
the app turns that into the panel's error.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from rta.pinot import analytics
from rta.pinot.analytics import FUNNEL_STEPS, MINUTE_MS
from rta.pinot.query import QueryResult

__all__ = ["PARTIAL_MINUTES", "Query", "funnel", "products", "revenue", "sessions", "traffic"]

Query = Callable[[str], QueryResult]

# Minutes, before the open one, that are read from raw_events while Flink has not
# closed them (its watermark trails the newest event by the bound, and it may be
# down): enough to bridge a normal delay, few enough to keep the DISTINCTCOUNT cheap.
PARTIAL_MINUTES = 5


def _number(value: Any) -> float | None:
    """A finite number, or None: Pinot answers an aggregate of nothing with
    "-Infinity" or "NaN" strings."""
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _int(value: Any) -> int:
    f = _number(value)
    return int(f) if f is not None else 0


def _span(since_ms: int, until_ms: int) -> dict[str, int]:
    return {"since_ms": since_ms, "until_ms": until_ms}


def traffic(query: Query, until_ms: int, minutes: int) -> dict[str, Any]:
    """Active users per minute over the last `minutes`: Flink's closed windows, then the
    minutes it has not closed yet computed from raw_events and marked partial. The
    minute that holds until_ms is still open: its figure only grows."""
    since = until_ms - minutes * MINUTE_MS
    open_start = until_ms - until_ms % MINUTE_MS
    # Closed windows end by the open minute's start; a pinned until_ms in the past
    # must not show a whole minute of which only a part lies before it.
    closed = query(analytics.active_users_sql(since, open_start)).records()
    points: list[dict[str, Any]] = [
        {
            "window_start": _int(r["window_start"]),
            "window_end": _int(r["window_end"]),
            "active_users": _int(r["active_users"]),
            "state": "closed",
        }
        for r in closed
    ]
    newest_end = max((p["window_end"] for p in points), default=since)
    partial_since = max(newest_end, since, open_start - PARTIAL_MINUTES * MINUTE_MS)
    if partial_since < until_ms:
        for r in query(analytics.open_minutes_sql(partial_since, until_ms)).records():
            start = _int(r["minute"])
            points.append(
                {
                    "window_start": start,
                    "window_end": start + MINUTE_MS,
                    "active_users": _int(r["active_users"]),
                    # "open": the minute still running; "pending": over, but Flink
                    # has not emitted its window yet.
                    "state": "open" if start == open_start else "pending",
                }
            )
    points.sort(key=lambda p: p["window_start"])
    return {**_span(since, until_ms), "open_minute_start": open_start, "points": points}


def products(query: Query, until_ms: int, minutes: int, top: int) -> dict[str, Any]:
    """Top products by views (with average price and category) and views by category."""
    since = until_ms - minutes * MINUTE_MS
    top_rows = query(analytics.top_products_sql(since, until_ms, top)).records()
    categories = query(analytics.views_by_category_sql(since, until_ms)).records()
    return {
        **_span(since, until_ms),
        "top": [
            {
                "product_id": r["product_id"],
                "product_name": r["product_name"],
                "product_category": r["product_category"],
                "views": _int(r["views"]),
                "avg_price": _number(r["avg_price"]),
            }
            for r in top_rows
        ],
        "categories": [
            {"product_category": r["product_category"], "views": _int(r["views"])}
            for r in categories
        ],
    }


def funnel(query: Query, until_ms: int, minutes: int) -> dict[str, Any]:
    """Events per funnel step, each step's conversion from the one before, and the
    overall conversion from page views to purchases, over the last `minutes` whole
    minutes (the open one included: analytics.whole_minutes)."""
    since, upto = analytics.whole_minutes(until_ms, minutes)
    counts = {
        r["event_type"]: _int(r["events"])
        for r in query(analytics.funnel_sql(since, upto)).records()
    }
    events = [counts.get(step, 0) for step in FUNNEL_STEPS]
    steps = [
        {
            "event_type": step,
            "events": n,
            "conversion": n / events[i - 1] if i > 0 and events[i - 1] else None,
        }
        for i, (step, n) in enumerate(zip(FUNNEL_STEPS, events, strict=True))
    ]
    overall = events[-1] / events[0] if events[0] else None
    return {**_span(since, upto), "steps": steps, "overall_conversion": overall}


def revenue(query: Query, until_ms: int, minutes: int) -> dict[str, Any]:
    """Purchases and revenue (sum of total_amount) per minute, and their totals, over
    the last `minutes` whole minutes (the open one included)."""
    since, upto = analytics.whole_minutes(until_ms, minutes)
    open_start = until_ms - until_ms % MINUTE_MS
    points = [
        {
            "minute": _int(r["minute"]),
            "purchases": _int(r["purchases"]),
            "revenue": _number(r["revenue"]) or 0.0,
            "open": _int(r["minute"]) == open_start,
        }
        for r in query(analytics.revenue_sql(since, upto)).records()
    ]
    return {
        **_span(since, upto),
        "points": points,
        "purchases": sum(p["purchases"] for p in points),
        "revenue": round(sum(p["revenue"] for p in points), 2),
    }


def sessions(query: Query, until_ms: int, minutes: int, limit: int) -> dict[str, Any]:
    """The most recent sessions (by their newest event), newest first."""
    since = until_ms - minutes * MINUTE_MS
    first = analytics.recent_sessions_first_since(since, until_ms)
    rows = query(analytics.recent_sessions_sql(first, until_ms, limit)).records()
    if len(rows) < limit and first > since:
        rows = query(analytics.recent_sessions_sql(since, until_ms, limit)).records()
    columns = (
        "event_count",
        "products_viewed",
        "products_added_to_cart",
        "purchases_made",
        "session_start",
        "session_end",
    )
    return {
        **_span(since, until_ms),
        "sessions": [
            {
                "session_id": r["session_id"],
                "user_id": r["user_id"],
                **{c: _int(r[c]) for c in columns},
            }
            for r in rows
        ],
    }
