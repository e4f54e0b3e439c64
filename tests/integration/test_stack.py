"""The local stack itself: components answer, topics exist, status and restart behave."""

from __future__ import annotations

import subprocess
import sys

import pytest
from confluent_kafka.admin import AdminClient

from rta import lifecycle
from rta.settings import Settings

pytestmark = pytest.mark.integration


def test_topics_exist_with_configured_partitions(stack: Settings) -> None:
    topics = AdminClient({"bootstrap.servers": stack.kafka.bootstrap}).list_topics(timeout=10)
    for name in (stack.kafka.raw_topic, stack.kafka.dlq_topic):
        assert name in topics.topics
        assert len(topics.topics[name].partitions) == stack.kafka.partitions


def test_up_is_idempotent(stack: Settings) -> None:
    results = lifecycle.up(stack)
    assert [(r.component, r.action, r.changes) for r in results][:1] == [
        ("kafka", "already running", ())
    ]


def test_status_command_reports_running(stack_env: dict[str, str]) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "rta", "stack", "status"],
        env=stack_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "kafka" in out.stdout and "running" in out.stdout
    assert "`rta stack status` is deprecated" in out.stderr
