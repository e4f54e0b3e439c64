"""Headless chromium for the dashboard's browser tests: Debian's chromium driven by
Playwright (its own browser download does not work here; `make setup` installs
chromium with apt-get)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def chromium_path() -> str:
    """The chromium to drive: RTA_CHROMIUM, else the first on PATH; fails the test
    with what to do when there is none."""
    found = os.environ.get("RTA_CHROMIUM") or next(
        (p for p in map(shutil.which, CANDIDATES) if p), None
    )
    if not found or not Path(found).exists():
        pytest.fail(
            "no chromium for the browser tests: `make setup` installs Debian's "
            "(apt-get install chromium), or set RTA_CHROMIUM to a Chromium binary"
        )
    return found


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """`app` on uvicorn in a thread, on a free port of 127.0.0.1; yields its base URL."""
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the dashboard app did not start in 10 s"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
