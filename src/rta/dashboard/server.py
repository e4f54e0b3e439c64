"""`rta dashboard`: the app on uvicorn until Ctrl-C."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import uvicorn

from rta import http
from rta.dashboard.app import create_app
from rta.errors import RtaError
from rta.settings import Settings

__all__ = ["DashboardError", "listen", "serve"]


class DashboardError(RtaError):
    """The dashboard cannot start (its port is taken) or stopped abnormally."""


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or DashboardError saying why not."""
    return http.listen(host, port, DashboardError, "RTA_DASHBOARD__PORT")


def serve(
    settings: Settings,
    *,
    host: str | None = None,
    port: int | None = None,
    on_ready: Callable[[str], Any] | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM. The engines need not be up: their panels say so
    until they answer."""
    d = settings.dashboard
    host, port = host or d.host, port or d.port
    sock = listen(host, port)
    app = create_app(settings)
    # log_config=None: uvicorn's records go through rta.log like every library's.
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, server_header=False))
    if on_ready is not None:
        shown = f"[{host}]" if ":" in host else host
        on_ready(f"http://{shown}:{port}")
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn has shut down before re-raising the Ctrl-C it caught
    finally:
        sock.close()
    if not server.started:
        raise DashboardError(
            "the dashboard stopped before it was ready; see <state dir>/logs/rta.log "
            "(or run with --verbose)"
        )
