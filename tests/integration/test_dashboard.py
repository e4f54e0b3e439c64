"""The dashboard on the real stack, in headless chromium: the figures the page shows for
closed minutes, the open minute, the funnel and revenue equal what a direct Pinot query
returns; with Pinot's broker unreachable the page names Pinot and keeps the pipeline.

The direct queries are plain SQL over httpx, written here, not rta.pinot.analytics:
a bug shared by the page and the check could not pass. Events lie on a day of event
time of their own (tests/support/timeline.py), so the page is pinned there with ?at=.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from tests.support.browser import chromium_path
from tests.support.pipeline_io import flush_watermark, millis, produce_lines, wait_until
from tests.support.timeline import next_range_start

from rta.settings import Settings
from rta.testing import free_ports, generate_lines

pytestmark = [pytest.mark.integration, pytest.mark.browser]

MINUTE = 60_000
EVENTS = 6_000
STEP_MS = 50  # 6,000 events over 300 s: five whole minutes
FUNNEL = ("page_view", "product_view", "add_to_cart", "purchase")


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def pinot_sql(stack: Settings, sql: str) -> list[list[Any]]:
    """Rows of a query to the broker's SQL endpoint, Pinot's exceptions raised."""
    resp = httpx.post(f"{stack.pinot.broker}/query/sql", json={"sql": sql}, timeout=30)
    resp.raise_for_status()
    body = resp.json()
    assert not body.get("exceptions"), body["exceptions"]
    return [list(r) for r in body["resultTable"]["rows"]]


@contextmanager
def dashboard(env: dict[str, str], **settings: str) -> Iterator[str]:
    """`rta dashboard` as a process on a free port, against the stack in `env`
    (overridden by RTA_* `settings`); yields its URL once /healthz answers."""
    (port,) = free_ports(1)
    proc = subprocess.Popen(
        [sys.executable, "-m", "rta", "dashboard", "--port", str(port)],
        env={**env, "RTA_DASHBOARD__REFRESH_S": "1", **settings},
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            assert proc.poll() is None, f"rta dashboard exited: {proc.communicate()[1]}"
            try:
                return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(up, 60, "rta dashboard to answer /healthz", interval_s=0.3)
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        yield browser
        browser.close()


def _open(chromium: Browser, url: str) -> Page:
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url)
    page.wait_for_function("Number(document.getElementById('updated').dataset.count) >= 1")
    return page


def _value(page: Page, testid: str) -> str:
    return page.get_by_test_id(testid).get_attribute("data-value") or ""


@pytest.fixture(scope="module")
def fed(stack: Settings) -> datetime:
    """Five minutes of generated traffic on a day of its own, through the pipeline and
    into Pinot, windows closed; returns the first minute's start."""
    start = next_range_start()
    sink, summary = generate_lines(EVENTS, seed=13, start=_iso(start), step_ms=STEP_MS)
    assert summary.sent == EVENTS
    produce_lines(stack, sink.lines)
    # One event per partition two minutes after the range: every window of it closes.
    flush_watermark(stack, start + timedelta(minutes=7))
    lo, hi = millis(start), millis(start + timedelta(minutes=5))

    def settled() -> bool:
        raw = pinot_sql(
            stack,
            f"SELECT COUNT(*) FROM raw_events WHERE event_time_ms >= {lo} AND event_time_ms < {hi}",
        )
        windows = pinot_sql(
            stack,
            "SELECT COUNT(*) FROM active_users_per_minute "
            f"WHERE window_start >= {lo} AND window_start < {hi}",
        )
        return raw[0][0] == EVENTS and windows[0][0] == 5

    wait_until(settled, 240, "the events in raw_events and five closed windows")
    return start


def test_the_page_shows_what_pinot_holds(
    stack: Settings,
    stack_env: dict[str, str],
    fed: datetime,
    chromium: Browser,
    tmp_path: Path,
) -> None:
    at = fed + timedelta(minutes=6)  # a minute boundary: every minute before is closed
    at_ms = millis(at)
    with dashboard(stack_env) as url:
        page = _open(chromium, f"{url}/?at={_iso(at)}&range=15")
        page.screenshot(path=tmp_path / "dashboard.png", full_page=True)
        last = at_ms - 2 * MINUTE  # the last minute that holds events
        page.wait_for_function(
            "document.querySelector('[data-testid=active-users-last-closed]')"
            f".dataset.value !== '' && document.querySelector("
            f"'[data-testid=active-users-last-closed]').getAttribute('data-window-start')"
            f" === '{last}'"
        )

        # Closed minutes: every minute of the range, as Flink's table holds it.
        direct = dict(
            (int(ws), int(n))
            for ws, n in pinot_sql(
                stack,
                "SELECT window_start, active_users FROM active_users_per_minute "
                f"WHERE window_start >= {millis(fed)} AND window_start < {at_ms} LIMIT 100",
            )
        )
        assert len(direct) == 5
        assert _value(page, "active-users-last-closed") == str(direct[last])
        for window_start, users in direct.items():
            cell = page.get_by_test_id(f"active-users-{window_start}")
            assert cell.get_attribute("data-value") == str(users), window_start
            assert cell.get_attribute("data-state") == "closed"

        # The funnel over the page's 15 minutes.
        since = at_ms - 15 * MINUTE
        counts = dict(
            pinot_sql(
                stack,
                "SELECT event_type, COUNT(*) FROM raw_events "
                f"WHERE event_time_ms >= {since} AND event_time_ms < {at_ms} "
                "GROUP BY event_type LIMIT 10",
            )
        )
        assert sum(counts.values()) == EVENTS
        for step in FUNNEL:
            assert _value(page, f"funnel-{step}") == str(counts.get(step, 0)), step

        # Revenue over the hour.
        purchases, revenue = pinot_sql(
            stack,
            "SELECT COUNT(*), SUM(total_amount) FROM raw_events WHERE event_type = 'purchase' "
            f"AND event_time_ms >= {at_ms - 60 * MINUTE} AND event_time_ms < {at_ms}",
        )[0]
        assert _value(page, "purchases-total") == str(purchases)
        assert float(_value(page, "revenue-total")) == pytest.approx(round(revenue, 2))

        # The pipeline panel answers from the real components.
        assert page.get_by_test_id("error-kafka").is_hidden()
        assert int(_value(page, "kafka-end-raw_events")) >= EVENTS
        assert page.get_by_test_id("error-flink").is_hidden()
        assert page.get_by_test_id("flink-state").inner_text() == "RUNNING"
        assert int(_value(page, "rows-raw_events")) >= EVENTS
        assert page.get_by_test_id("down").is_hidden()

        # Pinned half-way through a minute: that minute is open, counted from raw_events.
        mid = fed + timedelta(minutes=2, seconds=30)
        mid_ms = millis(mid)
        page = _open(chromium, f"{url}/?at={_iso(mid)}")
        page.screenshot(path=tmp_path / "open-minute.png", full_page=True)
        open_start = mid_ms - mid_ms % MINUTE
        # The page counts user_key (a hash of the id); this counts the ids themselves.
        ((users,),) = pinot_sql(
            stack,
            "SELECT DISTINCTCOUNT(user_id) FROM raw_events "
            f"WHERE event_time_ms >= {open_start} AND event_time_ms < {mid_ms}",
        )
        assert _value(page, "active-users-open") == str(users)
        cell = page.get_by_test_id(f"active-users-{open_start}")
        assert cell.get_attribute("data-state") == "open"
        assert _value(page, "active-users-last-closed") == str(direct[open_start - MINUTE])


def test_a_dead_pinot_broker_is_named_and_the_pipeline_stays(
    stack: Settings, stack_env: dict[str, str], chromium: Browser, tmp_path: Path
) -> None:
    (dead,) = free_ports(1)
    broker = f"http://127.0.0.1:{dead}"
    with dashboard(stack_env, RTA_PINOT__BROKER_URL=broker) as url:
        page = _open(chromium, url)
        page.screenshot(path=tmp_path / "pinot-down.png", full_page=True)
        for panel in ("traffic", "funnel", "revenue", "products", "sessions", "tables"):
            error = page.get_by_test_id(f"error-{panel}")
            assert error.is_visible(), panel
            assert error.inner_text().startswith(
                f"pinot: cannot reach the Pinot broker at {broker}"
            ), panel
        assert "pinot" in page.get_by_test_id("down").inner_text()
        # Kafka and Flink still answer: the pipeline panel keeps their figures.
        assert page.get_by_test_id("pipeline").is_visible()
        assert page.get_by_test_id("error-kafka").is_hidden()
        assert int(_value(page, "kafka-end-raw_events")) >= 0
        assert page.get_by_test_id("error-flink").is_hidden()
        assert page.get_by_test_id("flink-state").inner_text() != ""
        assert os.path.exists(tmp_path / "pinot-down.png")
