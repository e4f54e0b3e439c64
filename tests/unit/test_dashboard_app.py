"""The dashboard's JSON API over fake sources, in process: each panel's shape, the
partial minutes of the traffic panel, and a source that is down costing only its own
panels."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.support.dashboard_fakes import (
    FUNNEL,
    MINUTE,
    NOW_MS,
    OPEN_MINUTE,
    PINOT_DOWN,
    FakePinot,
    fake_sources,
    open_users_in,
    users_in,
)

from rta.dashboard import panels
from rta.dashboard.app import create_app
from rta.dashboard.sources import Sources
from rta.health import FlinkHealth
from rta.layout import Layout
from rta.pinot.query import QueryResult
from rta.restarts import RestartLog, RestartRecord
from rta.settings import Settings

pytestmark = pytest.mark.anyio

ANALYTICS = ("traffic", "funnel", "revenue", "products", "sessions")
PIPELINE = ("kafka", "flink", "tables", "collector")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _client(sources: Sources) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(), sources=sources, clock=lambda: NOW_MS / 1000)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://dashboard") as client:
        yield client


@pytest.fixture
async def api() -> AsyncIterator[httpx.AsyncClient]:
    async for c in _client(fake_sources()):
        yield c


async def _get(client: httpx.AsyncClient, path: str, status: int = 200) -> Any:
    resp = await client.get(path)
    assert resp.status_code == status, resp.text
    return resp.json()


async def test_healthz_page_and_vendored_echarts(api: httpx.AsyncClient) -> None:
    assert await _get(api, "/healthz") == {"status": "ok"}
    page = await api.get("/")
    assert page.status_code == 200
    assert '<script src="/static/vendor/echarts/echarts.min.js">' in page.text
    assert "https://" not in page.text  # no CDN: the machine may have no internet
    echarts = await api.get("/static/vendor/echarts/echarts.min.js")
    assert echarts.status_code == 200
    assert "Apache" in (await api.get("/static/vendor/echarts/LICENSE")).text


async def test_traffic_closes_minutes_from_flink_and_marks_the_rest_partial(
    api: httpx.AsyncClient,
) -> None:
    body = await _get(api, "/api/traffic")
    assert body["until_ms"] == NOW_MS
    assert body["open_minute_start"] == OPEN_MINUTE
    points = body["points"]
    by_state: dict[str, list[dict[str, Any]]] = {}
    for p in points:
        by_state.setdefault(p["state"], []).append(p)
    # The fake's Flink closed every minute up to OPEN_MINUTE - 1 min; that one is pending.
    closed = by_state["closed"]
    assert closed[-1]["window_start"] == OPEN_MINUTE - 2 * MINUTE
    assert all(p["active_users"] == users_in(p["window_start"]) for p in closed)
    assert [p["window_start"] for p in by_state["pending"]] == [OPEN_MINUTE - MINUTE]
    assert by_state["open"] == [
        {
            "window_start": OPEN_MINUTE,
            "window_end": OPEN_MINUTE + MINUTE,
            "active_users": open_users_in(OPEN_MINUTE),
            "state": "open",
        }
    ]
    starts = [p["window_start"] for p in points]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)


def test_partial_minutes_reach_back_at_most_a_few_minutes() -> None:
    pinot = FakePinot(closed_until=0)  # Flink has closed nothing
    out = panels.traffic(pinot, NOW_MS, 60)
    assert [p["state"] for p in out["points"]] == ["pending"] * panels.PARTIAL_MINUTES + ["open"]
    raw = [s for s in pinot.sql if "raw_events" in s]
    assert f">= {OPEN_MINUTE - panels.PARTIAL_MINUTES * MINUTE} " in raw[0]


def test_a_pinned_minute_boundary_has_no_open_minute() -> None:
    until = OPEN_MINUTE  # exactly on a minute: every earlier minute is over
    out = panels.traffic(FakePinot(closed_until=until), until, 60)
    assert {p["state"] for p in out["points"]} == {"closed"}
    assert out["points"][-1]["window_end"] == until


def test_pinots_empty_aggregates_become_none() -> None:
    def query(sql: str) -> QueryResult:
        cols = ["product_id", "product_name", "product_category", "views", "avg_price"]
        return QueryResult(cols, [], [["p", "n", "c", 0, "-Infinity"]])

    assert panels.products(query, NOW_MS, 15, 10)["top"][0]["avg_price"] is None


async def test_funnel_counts_and_conversions(api: httpx.AsyncClient) -> None:
    body = await _get(api, "/api/funnel?minutes=5")
    # Five whole minutes, the open one the last (analytics.whole_minutes).
    assert (body["since_ms"], body["until_ms"]) == (OPEN_MINUTE - 4 * MINUTE, OPEN_MINUTE + MINUTE)
    assert [(s["event_type"], s["events"]) for s in body["steps"]] == list(FUNNEL.items())
    assert [s["conversion"] for s in body["steps"]] == [None, 0.6, 0.2, 0.25]
    assert body["overall_conversion"] == pytest.approx(0.03)


def test_a_step_without_events_has_no_conversion_after_it() -> None:
    def query(sql: str) -> QueryResult:
        return QueryResult(["event_type", "events"], [], [["product_view", 5]])

    steps = panels.funnel(query, NOW_MS, 15)["steps"]
    assert [s["events"] for s in steps] == [0, 5, 0, 0]
    assert [s["conversion"] for s in steps] == [None, None, 0.0, None]


async def test_revenue_products_sessions_shapes(api: httpx.AsyncClient) -> None:
    revenue = await _get(api, "/api/revenue")
    assert revenue["purchases"] == sum(p["purchases"] for p in revenue["points"])
    assert revenue["points"][-1] == {
        "minute": OPEN_MINUTE,
        "purchases": revenue["points"][-1]["purchases"],
        "revenue": pytest.approx(revenue["points"][-1]["purchases"] * 49.99),
        "open": True,
    }
    products = await _get(api, "/api/products")
    assert products["top"][0] == {
        "product_id": "p-1",
        "product_name": "Espresso Machine",
        "product_category": "Kitchen",
        "views": 40,
        "avg_price": 199.0,
    }
    assert products["categories"] == [
        {"product_category": "Kitchen", "views": 70},
        {"product_category": "Sport", "views": 25},
    ]
    sessions = (await _get(api, "/api/sessions"))["sessions"]
    assert [s["session_id"] for s in sessions][:1] == ["s-aaaaaaaa-1"]
    assert set(sessions[0]) == {
        "session_id",
        "user_id",
        "session_start",
        "session_end",
        "event_count",
        "products_viewed",
        "products_added_to_cart",
        "purchases_made",
    }


async def test_until_pins_the_range(api: httpx.AsyncClient) -> None:
    body = await _get(api, f"/api/funnel?minutes=15&until={OPEN_MINUTE - 3_600_000}")
    assert body["until_ms"] == OPEN_MINUTE - 3_600_000
    traffic = await _get(api, f"/api/traffic?until={NOW_MS - 3_600_000}")
    assert traffic["until_ms"] == NOW_MS - 3_600_000


@pytest.mark.parametrize("query", ["minutes=0", "minutes=2000", "until=-1", "minutes=x"])
async def test_bad_ranges_are_refused(api: httpx.AsyncClient, query: str) -> None:
    await _get(api, f"/api/funnel?{query}", status=422)


async def test_pipeline_panels(api: httpx.AsyncClient) -> None:
    kafka = await _get(api, "/api/kafka")
    raw = kafka["topics"][0]
    assert raw["name"] == "raw_events"
    assert raw["end_offset"] == 3000
    assert raw["flink_lag"] == 10
    assert raw["partitions"] == [
        {"partition": 0, "end_offset": 1000, "lag": 10},
        {"partition": 1, "end_offset": 2000, "lag": 0},
    ]
    assert raw["rate_per_s"] is None  # the first reading has no rate yet
    assert kafka["topics"][1]["flink_lag"] is None
    flink = await _get(api, "/api/flink")
    assert flink["state"] == "RUNNING"
    assert flink["uptime_s"] == 3725.0
    assert flink["counts"]["late"] == 7
    assert flink["counts"]["rejected"] == {"user_id: missing": 3, "price: negative": 2}
    tables = await _get(api, "/api/tables")
    assert tables["tables"][0] == {
        "table": "raw_events",
        "rows": 2970,
        "newest_age_s": 1.5,
        "error": None,
    }
    collector = await _get(api, "/api/collector")
    assert collector["accepted"] == 1234
    assert collector["rejected_total"] == 3
    config = await _get(api, "/api/config")
    assert config["links"] == {
        "flink": "http://127.0.0.1:8081",
        "pinot": "http://127.0.0.1:9000",
        "collector": "http://127.0.0.1:8000",
    }


async def test_pinot_down_costs_only_its_panels() -> None:
    async for api in _client(fake_sources(FakePinot(down=True))):
        for panel in ANALYTICS:
            body = await _get(api, f"/api/{panel}", status=503)
            assert body == {"error": f"pinot: {PINOT_DOWN}"}
        assert (await _get(api, "/api/tables", status=503))["error"].startswith("pinot: ")
        for panel in ("kafka", "flink", "collector"):
            assert "error" not in await _get(api, f"/api/{panel}")
        assert (await _get(api, "/healthz"))["status"] == "ok"


async def test_each_pipeline_probe_fails_alone() -> None:
    sources = fake_sources(kafka_down=True, flink_down=True, collector_down=True)
    async for api in _client(sources):
        assert (await _get(api, "/api/kafka", 503))["error"].startswith("kafka: ")
        assert (await _get(api, "/api/flink", 503))["error"].startswith("flink: ")
        assert (await _get(api, "/api/collector", 503))["error"].startswith("collector: ")
        assert "error" not in await _get(api, "/api/tables")
        assert "error" not in await _get(api, "/api/traffic")


async def test_a_pinot_query_error_is_shown_in_pinots_words() -> None:
    pinot = FakePinot(error="TableDoesNotExistError: raw_events")
    async for api in _client(fake_sources(pinot)):
        body = await _get(api, "/api/funnel", status=503)
        assert body == {"error": "pinot: TableDoesNotExistError: raw_events"}


async def test_a_bug_in_one_panel_is_a_500_for_that_panel_only() -> None:
    def broken(sql: str) -> QueryResult:
        return QueryResult(["unexpected"], [], [[1]])

    sources = fake_sources()
    sources = Sources(broken, sources.kafka, sources.flink, sources.tables, sources.collector)
    async for api in _client(sources):
        body = await _get(api, "/api/funnel", status=500)
        assert body["error"].startswith("dashboard: the funnel panel failed")
        assert "error" not in await _get(api, "/api/kafka")


async def test_the_flink_panel_says_recovery_in_words_and_shows_restarts(tmp_path: Path) -> None:
    RestartLog(Layout(tmp_path).restarts).write(
        RestartRecord("collector", 2, "collector exited with code 1", 1_700_000_000.0, "back")
    )
    restoring = FlinkHealth("j1", "RUNNING", recovery="restoring from checkpoint")
    booting = FlinkHealth(None, None, recovery="JobManager starting")
    for flink, status in ((restoring, 200), (booting, 503)):
        sources = replace(fake_sources(), flink=lambda h=flink: h)
        app = create_app(Settings(state_dir=tmp_path), sources=sources)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://d") as client:
            body = await _get(client, "/api/flink", status)
        if status == 200:
            assert body["recovery"] == "restoring from checkpoint"
            assert body["restarts"]["collector"]["count"] == 2
        else:
            assert body == {"error": "flink: JobManager starting"}


def _sessions_query(found: int, asked: list[tuple[int, int]]) -> panels.Query:
    columns = ["session_id", "user_id", "session_start", "session_end", "event_count",
               "products_viewed", "products_added_to_cart", "purchases_made"]  # fmt: skip

    def query(sql: str) -> QueryResult:
        lo, hi = (int(x) for x in re.findall(r"session_end [<>]=? (\d+)", sql))
        asked.append((lo, hi))
        return QueryResult(
            columns, [], [[f"s-{i}", "u", 0, hi - i, 1, 0, 0, 0] for i in range(found)]
        )

    return query


def test_recent_sessions_look_at_the_last_minutes_first() -> None:
    asked: list[tuple[int, int]] = []
    body = panels.sessions(_sessions_query(50, asked), NOW_MS, 60, 50)
    # Fifty found in the last 10 s: they are the hour's newest, one query.
    assert asked == [(NOW_MS - 10_000, NOW_MS)]
    assert len(body["sessions"]) == 50
    assert (body["since_ms"], body["until_ms"]) == (NOW_MS - 60 * MINUTE, NOW_MS)


def test_recent_sessions_ask_the_whole_range_when_the_last_minutes_are_quiet() -> None:
    asked: list[tuple[int, int]] = []
    panels.sessions(_sessions_query(3, asked), NOW_MS, 60, 50)
    assert asked == [(NOW_MS - 10_000, NOW_MS), (NOW_MS - 60 * MINUTE, NOW_MS)]
