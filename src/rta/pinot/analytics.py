"""The analytics as Pinot SQL, defined once: the dashboard's panels, `rta report` and
bench/query.py (which times exactly these) all build their queries here.

Every query takes epoch-millisecond bounds [since_ms, until_ms) and filters on the
table's time column (tables.Table.time_column), so Pinot prunes segments and uses the
range index instead of scanning the whole table.

The result tables are upsert tables: Pinot answers every query with the newest row
per primary key, so SUM and COUNT over them count each window (or session) once, as
the report always has. What the Flink results do not hold yet (the still-open minute)
or hold in another shape (the funnel, revenue) comes from raw_events, which holds
every accepted event once (a dedup table keyed by event_id).
"""

from __future__ import annotations

from rta.tables import ACTIVE_USERS, PRODUCTS, RAW_EVENTS, SESSIONS, TABLES

__all__ = [
    "FUNNEL_STEPS",
    "MINUTE_COLUMN",
    "MINUTE_MS",
    "USER_KEY_COLUMN",
    "active_users_sql",
    "dashboard_queries",
    "funnel_sql",
    "open_minutes_sql",
    "recent_sessions_first_since",
    "recent_sessions_sql",
    "revenue_sql",
    "session_totals_sql",
    "table_newest_sql",
    "table_rows_sql",
    "top_products_sql",
    "views_by_category_sql",
    "whole_minutes",
]

MINUTE_MS = 60_000
# The shop's funnel, in order: each step's conversion is relative to the one before.
FUNNEL_STEPS = ("page_view", "product_view", "add_to_cart", "purchase")

# raw_events' event time floored to its minute (epoch ms), computed once at ingestion
# (raw_events.table.json): grouping by a dictionary column instead of converting every
# row's time per query, and the first dimension of the table's star-tree.
MINUTE_COLUMN = "event_minute_ms"

# raw_events' user_id as a number, computed at ingestion (raw_events.table.json): 60 bits
# of the id's MD5. Pinot gathers DISTINCTCOUNT's set of values in every segment and
# ships it from server to broker; a set of longs costs a fraction of one of UUID
# strings (docs/performance.md). Two of a minute's 50,000 users share a key with odds
# of about one in a billion.
USER_KEY_COLUMN = "user_key"


def _raw_range(since_ms: int, until_ms: int) -> str:
    """Whole-minute bounds select the same rows on the minute column, where the
    star-tree's pre-aggregates answer instead of the rows; other bounds use the time."""
    if since_ms % MINUTE_MS == 0 and until_ms % MINUTE_MS == 0:
        c = MINUTE_COLUMN
    else:
        c = RAW_EVENTS.time_column
    return f"{c} >= {since_ms} AND {c} < {until_ms}"


def whole_minutes(until_ms: int, minutes: int) -> tuple[int, int]:
    """The `minutes` whole minutes that end with the one holding until_ms (open or not):
    [since, until) with both bounds on minute starts. A live page's until is now, and
    no event lies after now, so rounding it up to its minute's end adds none; bounds
    on whole minutes let funnel_sql and revenue_sql read the star-tree."""
    end = -(-until_ms // MINUTE_MS) * MINUTE_MS
    return end - minutes * MINUTE_MS, end


def _window_range(since_ms: int, until_ms: int) -> str:
    return f"window_start >= {since_ms} AND window_start < {until_ms}"


def _minutes(since_ms: int, until_ms: int) -> int:
    """How many minute rows [since, until) can hold (a bound for LIMIT)."""
    return max(1, -(-(until_ms - since_ms) // MINUTE_MS))


def active_users_sql(since_ms: int, until_ms: int) -> str:
    """Closed minutes: Flink's exact distinct users per window starting in the range."""
    return (
        f"SELECT window_start, window_end, active_users FROM {ACTIVE_USERS.name} "
        f"WHERE {_window_range(since_ms, until_ms)} "
        f"ORDER BY window_start LIMIT {_minutes(since_ms, until_ms) + 1}"
    )


def open_minutes_sql(since_ms: int, until_ms: int) -> str:
    """Distinct users per minute from raw_events: for minutes Flink has not closed yet.
    Callers keep the range to a few minutes; DISTINCTCOUNT over an hour of raw events
    is what made the first dashboard query miss its 100 ms (docs/performance.md)."""
    return (
        f"SELECT {MINUTE_COLUMN} AS minute, DISTINCTCOUNT({USER_KEY_COLUMN}) AS active_users "
        f"FROM {RAW_EVENTS.name} WHERE {_raw_range(since_ms, until_ms)} "
        f"GROUP BY {MINUTE_COLUMN} ORDER BY {MINUTE_COLUMN} "
        f"LIMIT {_minutes(since_ms, until_ms) + 1}"
    )


def top_products_sql(since_ms: int, until_ms: int, top: int) -> str:
    """Products by views over the range, with their view-weighted average price."""
    return (
        "SELECT product_id, product_name, product_category, SUM(view_count) AS views, "
        "SUM(view_count * avg_price) / SUM(view_count) AS avg_price "
        f"FROM {PRODUCTS.name} WHERE {_window_range(since_ms, until_ms)} "
        "GROUP BY product_id, product_name, product_category "
        f"ORDER BY SUM(view_count) DESC, product_id LIMIT {top}"
    )


def views_by_category_sql(since_ms: int, until_ms: int) -> str:
    return (
        "SELECT product_category, SUM(view_count) AS views "
        f"FROM {PRODUCTS.name} WHERE {_window_range(since_ms, until_ms)} "
        "GROUP BY product_category ORDER BY SUM(view_count) DESC, product_category LIMIT 1000"
    )


def funnel_sql(since_ms: int, until_ms: int) -> str:
    """Events per funnel step in the range (the open minute included)."""
    return (
        f"SELECT event_type, COUNT(*) AS events FROM {RAW_EVENTS.name} "
        f"WHERE {_raw_range(since_ms, until_ms)} GROUP BY event_type LIMIT 10"
    )


def revenue_sql(since_ms: int, until_ms: int) -> str:
    """Purchases and the sum of their total_amount per minute."""
    return (
        f"SELECT {MINUTE_COLUMN} AS minute, COUNT(*) AS purchases, SUM(total_amount) AS revenue "
        f"FROM {RAW_EVENTS.name} "
        f"WHERE event_type = 'purchase' AND {_raw_range(since_ms, until_ms)} "
        f"GROUP BY {MINUTE_COLUMN} ORDER BY {MINUTE_COLUMN} "
        f"LIMIT {_minutes(since_ms, until_ms) + 1}"
    )


def recent_sessions_sql(since_ms: int, until_ms: int, limit: int) -> str:
    """The sessions whose newest event lies in the range, newest first."""
    c = SESSIONS.time_column
    return (
        "SELECT session_id, user_id, session_start, session_end, event_count, "
        "products_viewed, products_added_to_cart, purchases_made "
        f"FROM {SESSIONS.name} WHERE {c} >= {since_ms} AND {c} < {until_ms} "
        f"ORDER BY {c} DESC, session_id LIMIT {limit}"
    )


# How far back the first look for recent sessions goes (dashboard_queries, the page):
# at 5M events an hour, the last minute holds 50k sessions, the last 10 s 13k.
RECENT_SESSIONS_MS = 10_000


def recent_sessions_first_since(since_ms: int, until_ms: int) -> int:
    """Where to look first for the newest sessions of [since, until): the last 10 s
    only. If that finds `limit` sessions they are the newest of the whole range (every
    other one ended before), and Pinot sorted those seconds' sessions instead of the
    hour's; with fewer, the caller asks the whole range."""
    return max(since_ms, until_ms - RECENT_SESSIONS_MS)


def session_totals_sql(since_ms: int, until_ms: int) -> str:
    """Sessions active in the range, summed (`rta report`)."""
    return (
        "SELECT COUNT(*) AS sessions, SUM(event_count) AS events, "
        "AVG(event_count) AS avg_events, SUM(products_viewed) AS products_viewed, "
        "SUM(products_added_to_cart) AS added_to_cart, SUM(purchases_made) AS purchases "
        f"FROM {SESSIONS.name} "
        f"WHERE session_end >= {since_ms} AND session_start < {until_ms}"
    )


def table_rows_sql(table: str) -> str:
    """A table's rows (the pipeline panel and `rta status`): for an upsert table, its
    keys (sessions, windows), which Pinot counts from its valid-document bitmaps."""
    return f"SELECT COUNT(*) FROM {table}"


def table_newest_sql(table: str, newest_column: str) -> str:
    """The newest time any row of the table was written with. Over every version of
    every key (skipUpsert): Pinot answers from segment metadata instead of reading a
    million valid rows, and a result's newest version holds its newest time anyway."""
    return f"SET skipUpsert = true; SELECT MAX({newest_column}) FROM {table}"


def dashboard_queries(
    until_ms: int, minutes: int = 60, range_minutes: int = 15, top: int = 10, sessions: int = 50
) -> dict[str, str]:
    """Every query one refresh of the dashboard sends, at its defaults (bench/query.py
    times these): the hour-long panels over `minutes`, products and funnel over
    `range_minutes`, the open minute over the minute that holds until_ms."""
    hour = until_ms - minutes * MINUTE_MS
    recent = until_ms - range_minutes * MINUTE_MS
    open_start = until_ms - until_ms % MINUTE_MS
    return {
        "active_users": active_users_sql(hour, until_ms),
        "open_minute": open_minutes_sql(open_start, until_ms),
        "top_products": top_products_sql(recent, until_ms, top),
        "views_by_category": views_by_category_sql(recent, until_ms),
        "funnel": funnel_sql(*whole_minutes(until_ms, range_minutes)),
        "revenue": revenue_sql(*whole_minutes(until_ms, minutes)),
        "sessions": recent_sessions_sql(
            recent_sessions_first_since(hour, until_ms), until_ms, sessions
        ),
        **{f"rows_{t.name}": table_rows_sql(t.name) for t in TABLES},
        **{f"newest_{t.name}": table_newest_sql(t.name, t.newest_column) for t in TABLES},
    }
