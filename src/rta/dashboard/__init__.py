"""The live dashboard: the analytics and the pipeline's health on one web page.

    create_app(settings, sources=...) -> FastAPI   the page and its JSON API (app.py)
    serve(settings)                                 `rta dashboard` (server.py)

Inside: panels.py turns rta.pinot.analytics' queries into each panel's JSON, probes.py
reads Kafka offsets and the collector's metrics (rta.health gives the rest),
sources.py bundles where the figures come from, so tests can hand in fakes; static/
holds the page, its script and the vendored Apache ECharts.
"""

from rta.dashboard.app import create_app
from rta.dashboard.server import DashboardError, serve
from rta.dashboard.sources import Sources, live_sources

__all__ = ["DashboardError", "Sources", "create_app", "live_sources", "serve"]
