"""One real local stack per test session, shared by every integration test.

It runs on free ports in a temporary state directory, so it neither collides
with a stack the developer has running (`make run`) nor leaves data behind.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from rta import lifecycle
from rta.settings import Settings, load_settings, settings_env
from rta.testing import settings_on_free_ports

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings of a freshly started local stack (Kafka with rta's topics).

    RTA_TEST_STACK=running uses the stack that the RTA_* settings name instead (one
    started by `rta up --detach --no-generate`), which makes iterating on one test quick.
    """
    if os.environ.get("RTA_TEST_STACK") == "running":
        yield load_settings()
        return
    settings = settings_on_free_ports(tmp_path_factory.mktemp("rta-state"), REPO / ".cache" / "jvm")
    lifecycle.up(settings)
    try:
        yield settings
    finally:
        lifecycle.down(settings)


@pytest.fixture(scope="session")
def stack_env(stack: Settings) -> dict[str, str]:
    """Environment for `rta` subprocesses that must talk to the test stack."""
    return {**os.environ, **settings_env(stack)}
