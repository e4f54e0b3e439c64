"""Shared by the unit tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rta import log


@pytest.fixture(autouse=True)
def _undo_logging_setup() -> Iterator[None]:
    # Every CLI invocation configures logging (rta.cli's callback): without this, a
    # handler writing into one test's state directory would outlive that test.
    yield
    log.reset()
