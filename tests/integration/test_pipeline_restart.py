"""Results stay exact across failures: nothing lost, nothing counted twice.

Two disruptions, each in the middle of a stream checked against the oracle:
the TaskManager is killed (the job restarts from its last checkpoint), and the
job is stopped with a savepoint and resumed from it.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import datetime

import pytest
from tests.support.pipeline_io import (
    flush_watermark,
    later,
    millis,
    produce_lines,
    wait_until,
)
from tests.support.results import assert_results_equal, expect
from tests.support.timeline import next_range_start

from rta.generator.chaos import Chaos
from rta.pipeline.jobs import FlinkRest
from rta.settings import Settings
from rta.stack.flink import FlinkComponent
from rta.stack.java import find_java
from rta.testing import generate_lines

pytestmark = pytest.mark.integration


def _lines(start: datetime) -> list[bytes]:
    sink, _ = generate_lines(
        16_000,
        seed=7 + start.toordinal(),
        start=start.isoformat().replace("+00:00", "Z"),
        step_ms=40.0,  # 10.7 minutes of event time
        chaos=Chaos(late_fraction=0.02, late_max_ms=4000, duplicate_fraction=0.02, tz_mix=0.1),
        users=250,
    )
    return sink.lines


def _wait_for_checkpoint_after(settings: Settings, since_ms: int) -> None:
    rest = FlinkRest(settings.flink.url)
    try:

        def done() -> bool:
            job = rest.active_job()
            if job is None:
                return False
            latest = (rest.checkpoints(job.job_id).get("latest") or {}).get("completed") or {}
            return int(latest.get("latest_ack_timestamp", 0)) > since_ms

        wait_until(done, 120, "a checkpoint after the first half", interval_s=1.0)
    finally:
        rest.close()


def _job_running(settings: Settings) -> bool:
    rest = FlinkRest(settings.flink.url)
    try:
        job = rest.active_job()
        return job is not None and job.state == "RUNNING"
    finally:
        rest.close()


def _assert_results_equal_oracle(
    settings: Settings, start: datetime, records: list[tuple[int, bytes]]
) -> None:
    expected = expect(settings, records)
    assert_results_equal(settings, expected, millis(start), millis(later(start, minutes=12)))


def test_taskmanager_killed_mid_stream(stack: Settings) -> None:
    start = next_range_start()
    lines = _lines(start)
    half = len(lines) // 2
    records = produce_lines(stack, lines[:half])
    _wait_for_checkpoint_after(stack, int(time.time() * 1000))

    taskmanager = FlinkComponent(stack, find_java(stack.java_home)).processes()[1]
    proc = taskmanager.process()
    assert proc is not None
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    records += produce_lines(stack, lines[half:])  # arrives while the job is down
    taskmanager.start()

    wait_until(lambda: _job_running(stack), 180, "the job to run again after the TM restart")
    flush_watermark(stack, later(start, minutes=14))
    _assert_results_equal_oracle(stack, start, records)


def test_stop_with_savepoint_and_resume(stack: Settings, stack_env: dict[str, str]) -> None:
    start = next_range_start()
    lines = _lines(start)
    half = len(lines) // 2
    records = produce_lines(stack, lines[:half])
    time.sleep(3)  # some of it is read before the stop; the rest after the resume

    rta = [sys.executable, "-m", "rta", "pipeline"]
    stopped = subprocess.run(
        [*rta, "cancel"], env=stack_env, capture_output=True, text=True, timeout=180
    )
    assert stopped.returncode == 0, stopped.stderr
    assert "with savepoint" in stopped.stderr
    assert not _job_running(stack)

    records += produce_lines(stack, lines[half:])
    resumed = subprocess.run(
        [*rta, "submit"], env=stack_env, capture_output=True, text=True, timeout=180
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed from" in resumed.stderr and "savepoint" in resumed.stderr

    wait_until(lambda: _job_running(stack), 120, "the resumed job to run")
    flush_watermark(stack, later(start, minutes=14))
    _assert_results_equal_oracle(stack, start, records)
