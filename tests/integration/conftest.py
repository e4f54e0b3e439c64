"""One real local stack per test session, shared by every integration test.

It runs on free ports in a temporary state directory, so it neither collides
with a stack the developer has running (`make run`) nor leaves data behind.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from rta.settings import GeneratorSettings, KafkaSettings, Settings, settings_env
from rta.stack import supervisor

REPO = Path(__file__).resolve().parents[2]


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings of a freshly started local stack (Kafka with rta's topics)."""
    kafka_port, controller_port = _free_ports(2)
    settings = Settings(
        state_dir=tmp_path_factory.mktemp("rta-state"),
        cache_dir=REPO / ".cache" / "jvm",
        kafka=KafkaSettings(port=kafka_port, controller_port=controller_port),
        generator=GeneratorSettings(),
    )
    supervisor.up(settings)
    try:
        yield settings
    finally:
        supervisor.down(settings)


@pytest.fixture(scope="session")
def stack_env(stack: Settings) -> dict[str, str]:
    """Environment for `rta` subprocesses that must talk to the test stack."""
    return {**os.environ, **settings_env(stack)}
