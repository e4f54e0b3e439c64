"""Results stay exact across a planned stop: the job is stopped with a savepoint in
the middle of a stream and resumed from it, and every row equals the oracle's.
Unplanned ones (a process killed mid-stream) are the fault drills
(test_fault_drills.py).
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime

import pytest
from tests.support.drills import drill_lines, job_running
from tests.support.pipeline_io import (
    flush_watermark,
    later,
    millis,
    produce_lines,
    wait_until,
)
from tests.support.results import assert_results_equal, expect
from tests.support.timeline import next_range_start

from rta.settings import Settings

pytestmark = pytest.mark.integration


def _assert_results_equal_oracle(
    settings: Settings, start: datetime, records: list[tuple[int, bytes]]
) -> None:
    expected = expect(settings, records)
    assert_results_equal(settings, expected, millis(start), millis(later(start, minutes=12)))


def test_stop_with_savepoint_and_resume(stack: Settings, stack_env: dict[str, str]) -> None:
    start = next_range_start()
    lines = drill_lines(start)
    half = len(lines) // 2
    records = produce_lines(stack, lines[:half])
    time.sleep(3)  # some of it is read before the stop; the rest after the resume

    rta = [sys.executable, "-m", "rta", "pipeline"]
    stopped = subprocess.run(
        [*rta, "cancel"], env=stack_env, capture_output=True, text=True, timeout=180
    )
    assert stopped.returncode == 0, stopped.stderr
    assert "with savepoint" in stopped.stderr
    assert not job_running(stack)

    records += produce_lines(stack, lines[half:])
    resumed = subprocess.run(
        [*rta, "submit"], env=stack_env, capture_output=True, text=True, timeout=180
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed from" in resumed.stderr and "savepoint" in resumed.stderr

    wait_until(lambda: job_running(stack), 120, "the resumed job to run")
    flush_watermark(stack, later(start, minutes=14))
    _assert_results_equal_oracle(stack, start, records)
