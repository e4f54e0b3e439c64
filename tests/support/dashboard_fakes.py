"""Fake sources for the dashboard app: a Pinot that answers rta.pinot.analytics' queries
with figures derived from the bounds in the SQL, and fixed pipeline probes. Tests
compute what the page must show from the same functions (`users_in`, FUNNEL, ...)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rta.dashboard.probes import KafkaState, TopicState
from rta.dashboard.sources import Sources
from rta.health import CollectorHealth, FlinkHealth, PinotTableHealth
from rta.pinot.query import PinotQueryError, PinotUnavailableError, QueryResult
from rta.pipeline.counts import PipelineCounts

MINUTE = 60_000
# 2030-01-01T10:00:00Z, the fakes' "now" plus 30 s: a minute that is half over.
NOW_MS = 1_893_492_000_000 + 30_000
OPEN_MINUTE = NOW_MS - NOW_MS % MINUTE
FUNNEL = {"page_view": 1000, "product_view": 600, "add_to_cart": 120, "purchase": 30}
PRODUCTS = [
    ("p-1", "Espresso Machine", "Kitchen", 40, 199.0),
    ("p-2", "Trail Shoes", "Sport", 25, 89.5),
]
CATEGORIES = [("Kitchen", 70), ("Sport", 25)]
SESSIONS = [
    # session_id, user_id, start, end, events, viewed, added, purchases
    ("s-aaaaaaaa-1", "u-1", NOW_MS - 600_000, NOW_MS - 10_000, 7, 3, 1, 1),
    ("s-bbbbbbbb-2", "u-2", NOW_MS - 300_000, NOW_MS - 60_000, 12, 6, 2, 0),
    ("s-cccccccc-3", "u-3", NOW_MS - 900_000, NOW_MS - 120_000, 3, 1, 0, 0),
]
PINOT_DOWN = (
    "cannot reach the Pinot broker at http://127.0.0.1:9 ([Errno 111] Connection refused); "
    "is the stack up? (`rta up`)"
)


def users_in(minute_ms: int) -> int:
    """Active users of a closed minute, as Flink's table holds them."""
    return 100 + (minute_ms // MINUTE) % 50


def open_users_in(minute_ms: int) -> int:
    """Distinct users raw_events holds for a minute Flink has not closed."""
    return 40 + (minute_ms // MINUTE) % 7


def purchases_in(minute_ms: int) -> int:
    return 1 + (minute_ms // MINUTE) % 3


PRICE = 49.99


def _bounds(sql: str) -> tuple[int, int]:
    lo = re.search(r">= (\d+)", sql)
    hi = re.search(r"< (\d+)", sql)
    assert lo and hi, f"no time range in {sql}"
    return int(lo.group(1)), int(hi.group(1))


def _minutes(lo: int, hi: int) -> range:
    first = lo + (-lo) % MINUTE
    return range(first, hi, MINUTE)


@dataclass
class FakePinot:
    """Answers the dashboard's queries; `closed_until` is where Flink's windows end
    (the minutes after it are still pending or open)."""

    closed_until: int = OPEN_MINUTE - MINUTE
    down: bool = False
    error: str | None = None
    sql: list[str] = field(default_factory=list)

    def __call__(self, sql: str) -> QueryResult:
        self.sql.append(sql)
        if self.down:
            raise PinotUnavailableError(PINOT_DOWN)
        if self.error:
            raise PinotQueryError(self.error)
        lo, hi = _bounds(sql)
        if "FROM active_users_per_minute" in sql:
            rows = [[m, m + MINUTE, users_in(m)] for m in _minutes(lo, min(hi, self.closed_until))]
            return QueryResult(["window_start", "window_end", "active_users"], [], rows)
        if "DISTINCTCOUNT(user_key)" in sql:
            rows = [[m, open_users_in(m)] for m in _minutes(lo - lo % MINUTE, hi)]
            return QueryResult(["minute", "active_users"], [], rows)
        if "event_type = 'purchase'" in sql:
            rows = [
                [m, purchases_in(m), purchases_in(m) * PRICE]
                for m in _minutes(lo - lo % MINUTE, hi)
            ]
            return QueryResult(["minute", "purchases", "revenue"], [], rows)
        if "GROUP BY event_type" in sql:
            return QueryResult(["event_type", "events"], [], [[k, v] for k, v in FUNNEL.items()])
        if "GROUP BY product_category ORDER" in sql:
            return QueryResult(["product_category", "views"], [], [list(c) for c in CATEGORIES])
        if "FROM product_analytics_per_minute" in sql:
            cols = ["product_id", "product_name", "product_category", "views", "avg_price"]
            return QueryResult(cols, [], [list(p) for p in PRODUCTS])
        if "FROM session_analytics" in sql:
            cols = [
                "session_id",
                "user_id",
                "session_start",
                "session_end",
                "event_count",
                "products_viewed",
                "products_added_to_cart",
                "purchases_made",
            ]
            return QueryResult(cols, [], [list(s) for s in SESSIONS if lo <= s[3] < hi])
        raise AssertionError(f"the fake Pinot does not know {sql}")


KAFKA = KafkaState(
    "127.0.0.1:9092",
    [
        TopicState("raw_events", {0: 1000, 1: 2000}, {0: 990, 1: 2000}),
        TopicState("accepted_events", {0: 980, 1: 1990}),
    ],
)
COUNTS = PipelineCounts(
    valid=3000, on_time=2950, late=7, rejected={"user_id: missing": 3, "price: negative": 2}
)
FLINK = FlinkHealth("job-1", "RUNNING", 812.5, COUNTS, 4.2, uptime_s=3725.0)
TABLES = [
    PinotTableHealth("raw_events", 2970, 1.5),
    PinotTableHealth("active_users_per_minute", 60, 45.0),
]
COLLECTOR = CollectorHealth(
    "http://127.0.0.1:8000", 1234, {"event_id: missing": 2, "price: float_type": 1}, {"401": 4}
)


def fake_sources(
    pinot: FakePinot | None = None,
    *,
    kafka_down: bool = False,
    flink_down: bool = False,
    collector_down: bool = False,
) -> Sources:
    pinot = pinot or FakePinot()

    def tables() -> list[PinotTableHealth]:
        if pinot.down:
            return [PinotTableHealth(t.table, None, error=PINOT_DOWN) for t in TABLES]
        return TABLES

    return Sources(
        query=pinot,
        kafka=lambda: (
            KafkaState("127.0.0.1:9092", error="kafka: no answer from 127.0.0.1:9092")
            if kafka_down
            else KAFKA
        ),
        flink=lambda: (
            FlinkHealth(None, None, error="cannot reach Flink's REST API") if flink_down else FLINK
        ),
        tables=tables,
        collector=lambda: (
            CollectorHealth(
                "http://127.0.0.1:8000", error="collector: not answering at http://127.0.0.1:8000"
            )
            if collector_down
            else COLLECTOR
        ),
    )
