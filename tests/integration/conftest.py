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

from rta.settings import (
    FlinkSettings,
    GeneratorSettings,
    KafkaSettings,
    PinotSettings,
    Settings,
    settings_env,
)
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


def _flink_on_free_ports() -> FlinkSettings:
    rest, rpc, blob, tm_rpc, tm_data, gateway = _free_ports(6)
    return FlinkSettings(
        rest_port=rest,
        rpc_port=rpc,
        blob_port=blob,
        taskmanager_rpc_port=tm_rpc,
        taskmanager_data_port=tm_data,
        gateway_port=gateway,
    )


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings of a freshly started local stack (Kafka with rta's topics)."""
    kafka_port, controller_port, zk_port, pinot_controller, broker, netty, admin = _free_ports(7)
    settings = Settings(
        state_dir=tmp_path_factory.mktemp("rta-state"),
        cache_dir=REPO / ".cache" / "jvm",
        kafka=KafkaSettings(port=kafka_port, controller_port=controller_port),
        pinot=PinotSettings(
            zookeeper_port=zk_port,
            controller_port=pinot_controller,
            broker_port=broker,
            server_netty_port=netty,
            server_admin_port=admin,
        ),
        flink=_flink_on_free_ports(),
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
