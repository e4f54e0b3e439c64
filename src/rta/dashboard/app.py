"""The dashboard's HTTP app: the page, its assets, and one JSON endpoint per panel.

    create_app(settings, sources=..., clock=...) -> FastAPI

Each panel's endpoint answers on its own: when its source is down it answers 503 with
`{"error": "<component>: what is wrong"}`, which the page shows in that panel only,
while the other panels keep their figures. The analytics endpoints take `minutes`
(how far back) and `until` (epoch ms; default now), so a page can be pinned to a past
moment, e.g. to look at a replayed day.
"""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at
# run time.

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from rta.dashboard import panels
from rta.dashboard.probes import Rates
from rta.dashboard.sources import Sources, live_sources
from rta.layout import Layout
from rta.pinot.query import PinotQueryError
from rta.restarts import RestartLog
from rta.settings import Settings

__all__ = ["STATIC", "create_app"]

log = logging.getLogger("rta.dashboard")

STATIC = Path(str(files("rta.dashboard") / "static"))

Minutes = Annotated[int, Query(ge=1, le=1440, description="How many minutes back.")]
Until = Annotated[int | None, Query(ge=0, description="End of the range, epoch ms (default: now).")]


def _failed(error: str, status: int = 503) -> JSONResponse:
    return JSONResponse({"error": error}, status_code=status)


def create_app(
    settings: Settings,
    *,
    sources: Sources | None = None,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    """The dashboard as an ASGI app over `sources` (default: the engines the settings
    name). `clock` gives "now" for ranges without `until` (tests pin it)."""
    d = settings.dashboard
    src = sources or live_sources(settings)
    rates = Rates()
    restarts = RestartLog(Layout(settings.state_dir).restarts)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            src.close()

    app = FastAPI(
        title="rta dashboard",
        version=version("rta"),
        description="The analytics and the pipeline's health, as JSON for the page at /.",
        lifespan=lifespan,
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    def now_ms(until: int | None) -> int:
        return until if until is not None else int(clock() * 1000)

    def analytics(panel: str, compute: Callable[[], dict[str, Any]]) -> Any:
        try:
            return compute()
        except PinotQueryError as exc:
            return _failed(f"pinot: {exc}")
        except Exception as exc:  # a bug must cost one panel, not the page
            log.exception("the %s panel failed", panel)
            return _failed(f"dashboard: the {panel} panel failed ({exc!r})", 500)

    # Plain defs: FastAPI runs them in its thread pool, so one slow engine holds up
    # only its own panel.
    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/healthz", summary="Liveness")
    async def healthz() -> dict[str, str]:
        """200 while the dashboard serves (whatever the engines do)."""
        return {"status": "ok"}

    @app.get("/api/config", summary="What the page needs to know once")
    def config() -> dict[str, Any]:
        return {
            "refresh_s": d.refresh_s,
            "links": {
                "flink": settings.flink.url,
                "pinot": settings.pinot.controller,
                "collector": settings.collector.endpoint,
            },
        }

    @app.get("/api/traffic", summary="Active users per minute, the open minute partial")
    def traffic(minutes: Minutes = 60, until: Until = None) -> Any:
        return analytics("traffic", lambda: panels.traffic(src.query, now_ms(until), minutes))

    @app.get("/api/products", summary="Top products by views; views by category")
    def products(minutes: Minutes = 15, until: Until = None) -> Any:
        return analytics(
            "products",
            lambda: panels.products(src.query, now_ms(until), minutes, d.top_products),
        )

    @app.get("/api/funnel", summary="Events per funnel step and conversions")
    def funnel(minutes: Minutes = 15, until: Until = None) -> Any:
        return analytics("funnel", lambda: panels.funnel(src.query, now_ms(until), minutes))

    @app.get("/api/revenue", summary="Purchases and revenue per minute")
    def revenue(minutes: Minutes = 60, until: Until = None) -> Any:
        return analytics("revenue", lambda: panels.revenue(src.query, now_ms(until), minutes))

    @app.get("/api/sessions", summary="Recent sessions")
    def sessions(minutes: Minutes = 60, until: Until = None) -> Any:
        return analytics(
            "sessions",
            lambda: panels.sessions(src.query, now_ms(until), minutes, d.sessions),
        )

    @app.get("/api/kafka", summary="Topics: partitions, end offsets, produce rates, Flink lag")
    def kafka() -> Any:
        state = src.kafka()
        if state.error:
            return _failed(state.error)
        return {
            "bootstrap": state.bootstrap,
            "consumer_group": settings.flink.consumer_group,
            "topics": [
                {
                    "name": t.name,
                    "partitions": [
                        {
                            "partition": p,
                            "end_offset": end,
                            "lag": None
                            if t.committed is None
                            else max(0, end - t.committed.get(p, 0)),
                        }
                        for p, end in sorted(t.end_offsets.items())
                    ],
                    "end_offset": t.end_offset,
                    "rate_per_s": rates.update(f"kafka:{t.name}", t.end_offset),
                    "flink_lag": t.lag,
                }
                for t in state.topics
            ],
        }

    @app.get("/api/flink", summary="The pipeline job: state, uptime, checkpoint, rates, totals")
    def flink() -> Any:
        h = src.flink()
        if h.error:
            return _failed(f"flink: {h.error}")
        if h.recovery is not None and h.job_id is None:
            return _failed(f"flink: {h.recovery}")  # no job to show yet: only the words
        c = h.counts
        return {
            "url": settings.flink.url,
            "job_id": h.job_id,
            "state": h.state,
            "recovery": h.recovery,
            # The watch's restarts of every component (the page has no panel per process).
            "restarts": {
                name: {"count": r.count, "last_reason": r.last_reason, "at": r.at, "state": r.state}
                for name, r in restarts.read().items()
            },
            "uptime_s": h.uptime_s,
            "last_checkpoint_age_s": h.last_checkpoint_age_s,
            "records_per_s": h.records_per_s,
            "counts": None
            if c is None
            else {
                "read": c.read,
                "passed_on": c.passed_on,
                "on_time": c.on_time,
                "late": c.late,
                "duplicates": c.duplicates,
                "rejected_total": c.rejected_total,
                "rejected": dict(sorted(c.rejected.items(), key=lambda kv: -kv[1])),
            },
        }

    @app.get("/api/tables", summary="Pinot tables: rows and the age of the newest row")
    def tables() -> Any:
        found = src.tables()
        errors = {t.error for t in found}
        if found and None not in errors and len(errors) == 1:
            # One cause for every table (the broker is away): say it once.
            return _failed(f"pinot: {errors.pop()}")
        return {
            "url": settings.pinot.controller,
            "tables": [
                {
                    "table": t.table,
                    "rows": t.rows,
                    "newest_age_s": t.newest_age_s,
                    "error": t.error,
                }
                for t in found
            ],
        }

    @app.get("/api/collector", summary="The HTTP collector's accepted and rejected events")
    def collector() -> Any:
        s = src.collector()
        if s.error:
            return _failed(s.error)
        return {
            "url": s.url,
            "accepted": s.accepted,
            "rejected": s.rejected,
            "rejected_total": sum(s.rejected.values()),
            "refused": s.refused,
            "rate_per_s": rates.update("collector:accepted", s.accepted or 0),
        }

    return app
