"""`rta dashboard`: serve the live dashboard until Ctrl-C."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from rta.dashboard import serve
from rta.settings import Settings

err = Console(stderr=True, highlight=False, soft_wrap=True)


def dashboard(
    ctx: typer.Context,
    host: Annotated[
        str | None,
        typer.Option(
            help="Address to listen on (default: env RTA_DASHBOARD__HOST, else 127.0.0.1)."
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(help="Port to listen on (default: env RTA_DASHBOARD__PORT, else 8501)."),
    ] = None,
) -> None:
    """Serve the live dashboard until Ctrl-C: analytics and the pipeline's health.

    One page that refreshes itself every RTA_DASHBOARD__REFRESH_S seconds: active users
    per minute (the open minute marked partial), top products and views by category,
    the funnel, recent sessions, revenue per minute, and the pipeline (Kafka topics and
    Flink's lag, the Flink job, Pinot tables, the collector). Figures come from Pinot
    and the components' own APIs; a component that is down is named in its panel while
    the rest keep showing. Add ?at=2030-01-01T10:00:00Z to the page's URL to look at a
    past moment. JSON for each panel under /api/ (OpenAPI at /docs); GET /healthz.
    """
    settings: Settings = ctx.obj

    def ready(url: str) -> None:
        err.print(f"dashboard on {url} ; Ctrl-C stops it")

    serve(settings, host=host, port=port, on_ready=ready)
    err.print("dashboard stopped")
