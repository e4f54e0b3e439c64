"""The dashboard page in a real headless chromium, against the app served by uvicorn
over fake sources (no JVM): the figures the fakes imply appear where a person (and the
end-to-end test) reads them, the open minute is marked partial, and a component that
is down is named in its panels while the pipeline panel keeps its figures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from tests.support.browser import chromium_path, serving
from tests.support.dashboard_fakes import (
    FUNNEL,
    MINUTE,
    NOW_MS,
    OPEN_MINUTE,
    FakePinot,
    fake_sources,
    open_users_in,
    purchases_in,
    users_in,
)

from rta.dashboard.app import create_app
from rta.settings import Settings

pytestmark = pytest.mark.browser

SETTINGS = Settings(dashboard={"refresh_s": 1})  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as p:
        # --no-sandbox: the tests may run as root (CI containers), where chromium's
        # sandbox refuses to start.
        browser = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        yield browser
        browser.close()


def _open(chromium: Browser, url: str, width: int = 1280) -> Page:
    page = chromium.new_page(viewport={"width": width, "height": 900})
    page.goto(url)
    # Every panel has been fetched and drawn once.
    page.wait_for_function("Number(document.getElementById('updated').dataset.count) >= 1")
    return page


def _value(page: Page, testid: str) -> str:
    return page.get_by_test_id(testid).get_attribute("data-value") or ""


def test_the_page_shows_every_panel_from_the_sources(chromium: Browser, tmp_path: Path) -> None:
    pinot = FakePinot()
    app = create_app(SETTINGS, sources=fake_sources(pinot), clock=lambda: NOW_MS / 1000)
    with serving(app) as url:
        page = _open(chromium, url)
        page.screenshot(path=tmp_path / "dashboard.png", full_page=True)

        # Traffic: Flink's last closed window, then a pending minute and the open one
        # from raw_events, marked partial.
        last_closed = pinot.closed_until - MINUTE
        closed = page.get_by_test_id("active-users-last-closed")
        assert closed.get_attribute("data-value") == str(users_in(last_closed))
        assert closed.get_attribute("data-window-start") == str(last_closed)
        assert _value(page, f"active-users-{last_closed}") == str(users_in(last_closed))
        pending = page.get_by_test_id(f"active-users-{pinot.closed_until}")
        assert pending.get_attribute("data-state") == "pending"
        assert pending.get_attribute("data-value") == str(open_users_in(pinot.closed_until))
        assert _value(page, "active-users-open") == str(open_users_in(OPEN_MINUTE))
        assert (
            page.get_by_test_id(f"active-users-{OPEN_MINUTE}").get_attribute("data-state") == "open"
        )
        assert page.locator("#traffic .figure.partial .tag").inner_text() == "partial"

        # Funnel over the default 15 minutes.
        for step, n in FUNNEL.items():
            assert _value(page, f"funnel-{step}") == str(n)
        assert page.get_by_test_id("funnel-conversion-add_to_cart").inner_text() == "20.0 %"
        funnel = next(sql for sql in pinot.sql if "GROUP BY event_type" in sql)
        # Whole minutes, the open one the last: the star-tree's minute column.
        assert f"event_minute_ms >= {OPEN_MINUTE - 14 * MINUTE} " in funnel

        # Revenue over the hour (60 whole minutes): the fake's purchases per minute, summed.
        minutes = range(OPEN_MINUTE - 59 * MINUTE, OPEN_MINUTE + MINUTE, MINUTE)
        purchases = sum(purchases_in(m) for m in minutes)
        assert _value(page, "purchases-total") == str(purchases)
        assert page.get_by_test_id("revenue-total").inner_text() == f"{purchases * 49.99:,.2f}"

        # Products and sessions.
        assert _value(page, "product-views-p-1") == "40"
        assert page.locator("#products tbody tr").first.inner_text().startswith("Espresso Machine")
        rows = page.get_by_test_id("session-row")
        assert rows.count() == 3
        page.locator('#sessions th[data-key="event_count"]').click()
        assert rows.first.locator("td").nth(2).inner_text() == "12"
        page.locator('#sessions th[data-key="event_count"]').click()
        assert rows.first.locator("td").nth(2).inner_text() == "3"

        # Pipeline.
        assert _value(page, "kafka-end-raw_events") == "3000"
        assert page.get_by_test_id("flink-state").inner_text() == "RUNNING"
        assert _value(page, "flink-late") == "7"
        assert _value(page, "flink-rejected") == "5"
        assert _value(page, "rows-raw_events") == "2970"
        assert _value(page, "collector-accepted") == "1234"
        assert page.locator('#pipeline a[href="http://127.0.0.1:8081"]').count() == 1

        assert page.locator(".error:visible").count() == 0
        assert page.get_by_test_id("down").is_hidden()


def test_the_range_selector_asks_for_its_window(chromium: Browser) -> None:
    pinot = FakePinot()
    app = create_app(SETTINGS, sources=fake_sources(pinot), clock=lambda: NOW_MS / 1000)
    with serving(app) as url:
        page = _open(chromium, url)
        pinot.sql.clear()
        with page.expect_response(lambda r: "/api/funnel?minutes=5" in r.url):
            page.get_by_test_id("range").select_option("5")
        funnel = [s for s in pinot.sql if "GROUP BY event_type" in s]
        assert f"event_minute_ms >= {OPEN_MINUTE - 4 * MINUTE} " in funnel[-1]
        assert "range=5" in page.url


def test_a_pinned_page_asks_for_that_moment(chromium: Browser) -> None:
    pinot = FakePinot()
    app = create_app(SETTINGS, sources=fake_sources(pinot), clock=lambda: NOW_MS / 1000)
    at = NOW_MS - 10 * MINUTE  # 09:50:30 UTC: 09:49 is the last whole minute before it
    with serving(app) as url:
        page = _open(chromium, f"{url}/?at=2030-01-01T09:50:30Z")
        assert page.get_by_test_id("clock").inner_text() == "pinned at 2030-01-01 09:50:30 UTC"
        closed = page.get_by_test_id("active-users-last-closed")
        last = at - at % MINUTE - MINUTE
        assert closed.get_attribute("data-window-start") == str(last)
        assert closed.get_attribute("data-value") == str(users_in(last))


def test_a_component_that_is_down_is_named_and_the_rest_stays(
    chromium: Browser, tmp_path: Path
) -> None:
    app = create_app(
        SETTINGS,
        sources=fake_sources(FakePinot(down=True), collector_down=True),
        clock=lambda: NOW_MS / 1000,
    )
    with serving(app) as url:
        page = _open(chromium, url)
        page.screenshot(path=tmp_path / "pinot-down.png", full_page=True)
        for panel in ("traffic", "funnel", "revenue", "products", "sessions", "tables"):
            error = page.get_by_test_id(f"error-{panel}")
            assert error.is_visible(), panel
            assert error.inner_text().startswith("pinot: cannot reach the Pinot broker"), panel
        assert page.get_by_test_id("down").inner_text().startswith("Not answering: pinot")
        # The pipeline panel keeps what Kafka and Flink answered.
        assert page.get_by_test_id("pipeline").is_visible()
        assert page.get_by_test_id("error-kafka").is_hidden()
        assert _value(page, "kafka-end-raw_events") == "3000"
        assert page.get_by_test_id("flink-state").inner_text() == "RUNNING"
        # The collector is optional: named in its card, not in the banner.
        assert page.get_by_test_id("error-collector").inner_text().startswith("collector:")
        assert "collector" not in (page.get_by_test_id("down").inner_text())


def test_a_phone_wide_page_needs_no_sideways_scrolling(chromium: Browser, tmp_path: Path) -> None:
    app = create_app(SETTINGS, sources=fake_sources(), clock=lambda: NOW_MS / 1000)
    with serving(app) as url:
        page = _open(chromium, url, width=390)
        page.screenshot(path=tmp_path / "phone.png", full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
        assert page.get_by_test_id("active-users-last-closed").is_visible()


def test_the_page_recovers_when_pinot_comes_back(chromium: Browser) -> None:
    pinot = FakePinot(down=True)
    app = create_app(SETTINGS, sources=fake_sources(pinot), clock=lambda: NOW_MS / 1000)
    with serving(app) as url:
        page = _open(chromium, url)
        assert page.get_by_test_id("error-traffic").is_visible()
        pinot.down = False
        page.get_by_test_id("error-traffic").wait_for(state="hidden", timeout=10_000)
        assert _value(page, "funnel-purchase") == str(FUNNEL["purchase"])
        assert page.get_by_test_id("down").is_hidden()
