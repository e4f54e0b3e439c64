"""The pipeline's result rows read back from Pinot, and compared with the oracle's.

Every column is compared: window bounds, counts, averages (to 6 decimals), names and
categories, session keys and session_start/session_end.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rta.pipeline.counts import PipelineCounts, read_counts
from rta.settings import Settings
from tests.support.oracle import Expected, compute
from tests.support.pipeline_io import query_all, wait_until

RESULT_TIMEOUT_S = 240

Rows = dict[Any, tuple[Any, ...]]


def expect(stack: Settings, records: list[tuple[int, bytes]]) -> Expected:
    """The oracle's results for records produced to the stack, with its time bounds."""
    return compute(
        records,
        bound_ms=round(stack.flink.watermark_bound_s * 1000),
        allowed_ms=round(stack.flink.allowed_lateness_s * 1000),
    )


def active_users(stack: Settings, lo: int, hi: int) -> Rows:
    rows = query_all(
        stack,
        "SELECT window_start, window_end, active_users FROM active_users_per_minute "
        f"WHERE window_start BETWEEN {lo} AND {hi}",
    )
    return {r["window_start"]: (r["window_end"], r["active_users"]) for r in rows}


def products(stack: Settings, lo: int, hi: int) -> Rows:
    rows = query_all(
        stack,
        "SELECT window_start, window_end, product_id, product_name, product_category, "
        "view_count, avg_price FROM product_analytics_per_minute "
        f"WHERE window_start BETWEEN {lo} AND {hi}",
    )
    return {
        (r["window_start"], r["product_id"]): (
            r["window_end"],
            r["product_name"],
            r["product_category"],
            r["view_count"],
            round(r["avg_price"], 6),
        )
        for r in rows
    }


def sessions(stack: Settings, lo: int, hi: int) -> Rows:
    rows = query_all(
        stack,
        "SELECT session_id, user_id, event_count, products_viewed, products_added_to_cart, "
        "purchases_made, session_start, session_end FROM session_analytics "
        f"WHERE session_end BETWEEN {lo} AND {hi}",
    )
    return {
        (r["session_id"], r["user_id"]): (
            r["event_count"],
            r["products_viewed"],
            r["products_added_to_cart"],
            r["purchases_made"],
            r["session_start"],
            r["session_end"],
        )
        for r in rows
    }


def raw_count(stack: Settings, lo: int, hi: int) -> int:
    rows = query_all(
        stack,
        f"SELECT COUNT(*) AS n FROM raw_events WHERE event_time_ms BETWEEN {lo} AND {hi}",
    )
    return int(rows[0]["n"])


def expected_active(expected: Expected) -> Rows:
    return {k: (v.window_end, v.active_users) for k, v in expected.active_users.items()}


def expected_products(expected: Expected) -> Rows:
    return {
        k: (v.window_end, v.product_name, v.product_category, v.view_count, round(v.avg_price, 6))
        for k, v in expected.products.items()
    }


def expected_sessions(expected: Expected) -> Rows:
    return {
        k: (
            v.event_count,
            v.products_viewed,
            v.products_added_to_cart,
            v.purchases_made,
            v.session_start,
            v.session_end,
        )
        for k, v in expected.sessions.items()
    }


def assert_eventually_equal(
    got: Callable[[], Any], want: Any, what: str, timeout_s: float = RESULT_TIMEOUT_S
) -> None:
    """Poll until got() == want; on timeout, fail showing what is missing or different."""
    try:
        wait_until(lambda: got() == want, timeout_s, what, interval_s=2.0)
    except AssertionError:
        actual = got()
        if not isinstance(actual, dict) or not isinstance(want, dict):
            raise AssertionError(f"{what}: got {actual!r}, want {want!r}") from None
        missing = {k: want[k] for k in list(set(want) - set(actual))[:5]}
        extra = {k: actual[k] for k in list(set(actual) - set(want))[:5]}
        wrong = {k: (actual[k], want[k]) for k in set(want) & set(actual) if actual[k] != want[k]}
        raise AssertionError(
            f"{what}: {len(actual)} rows vs {len(want)} expected; missing {missing}; "
            f"unexpected {extra}; different (got, want) {dict(list(wrong.items())[:5])}"
        ) from None


def assert_results_equal(stack: Settings, expected: Expected, lo: int, hi: int) -> None:
    """Every row of the three result tables in [lo, hi] equals the oracle's."""
    assert_eventually_equal(
        lambda: active_users(stack, lo, hi), expected_active(expected), "active users"
    )
    assert_eventually_equal(
        lambda: products(stack, lo, hi), expected_products(expected), "product analytics"
    )
    assert_eventually_equal(
        lambda: sessions(stack, lo, hi), expected_sessions(expected), "session analytics"
    )


def counts_settled(
    stack: Settings, since: PipelineCounts, read: int, passed_on: int, timeout_s: float = 120
) -> PipelineCounts:
    """The job's totals since `since`, once it has counted `read` records read and
    `passed_on` passed on (on time or late).

    The two are counted by different branches of the job (before and after de-duplication)
    and reach the counts topic apart: waiting for one alone races the other. Callers then
    assert exact figures, so a count beyond what is awaited still fails.
    """
    box: list[PipelineCounts] = []

    def settled() -> bool:
        box[:] = [read_counts(stack).minus(since)]
        return box[0].read >= read and box[0].passed_on >= passed_on

    try:
        wait_until(settled, timeout_s, f"the job to count {read} read, {passed_on} passed on")
    except AssertionError:
        raise AssertionError(f"the job counted {box}") from None
    return box[0]
