"""A historical file replayed into a running pipeline with `rta replay` and nothing else.

No waking of partitions, no flush: the replay alone gives the oracle's rows, for
every window the replayed events themselves close (the last minute closes when the
stream moves past it, like any window) and every session. Once with the pipeline idle
before, once while a generator keeps it busy with live traffic.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.support import oracle
from tests.support.pipeline_io import later, millis, partition_of, session_key
from tests.support.results import (
    active_users,
    assert_eventually_equal,
    expect,
    expected_active,
    expected_products,
    expected_sessions,
    products,
    sessions,
)
from tests.support.timeline import next_range_start

from rta.generator.chaos import Chaos
from rta.settings import Settings
from rta.testing import generate_lines

pytestmark = pytest.mark.integration


def _rta(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "rta", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("before", ["idle", "busy"])
def test_replaying_a_historical_file_gives_the_oracle_rows(
    stack: Settings, stack_env: dict[str, str], tmp_path: Path, before: str
) -> None:
    start = next_range_start()
    sink, _ = generate_lines(
        12_000,
        seed=start.toordinal() * 100 + 11,  # apart from other tests' seeds
        start=start.isoformat().replace("+00:00", "Z"),
        step_ms=25.0,  # 5 minutes of event time
        # Shuffled within a few seconds, in several offsets, with duplicate deliveries.
        chaos=Chaos(late_fraction=0.05, late_max_ms=3000, duplicate_fraction=0.02, tz_mix=0.2),
        users=200,
    )
    path = tmp_path / "history.jsonl"
    path.write_bytes(b"\n".join(sink.lines) + b"\n")

    live = None
    if before == "busy":
        # Live traffic on the wall clock, before and during the replay.
        live = _rta(stack_env, "generate", "--rate", "300", "--seed", "3")
        time.sleep(3)
    try:
        replay = _rta(stack_env, "replay", str(path))
        _, err = replay.communicate(timeout=300)
        assert replay.returncode == 0, err
        assert f"{len(sink.lines):,}" in err, err
    finally:
        if live is not None:
            live.terminate()
            live.communicate(timeout=60)

    n = stack.kafka.partitions
    # rta replay keys by session_id and leaves the partition to librdkafka's partitioner.
    records = [(partition_of(session_key(line), n), line) for line in sink.lines]
    bound_ms = round(stack.flink.watermark_bound_s * 1000)
    expected = expect(stack, records)
    assert expected.late_events == 0
    # The windows that the replayed events close by themselves: ending at or before the
    # lowest partition watermark the file reaches.
    highs: dict[int, int] = {}
    for partition, line in records:
        ms = oracle.epoch_millis(json.loads(line)["event_timestamp"])
        highs[partition] = max(highs.get(partition, ms), ms)
    closed_before = min(highs.values()) - bound_ms
    want_active = {k: v for k, v in expected_active(expected).items() if v[0] <= closed_before}
    want_products = {k: v for k, v in expected_products(expected).items() if v[0] <= closed_before}
    assert len(want_active) >= 3
    lo, hi = millis(start), millis(later(start, minutes=10))

    def closed(rows: dict) -> dict:  # type: ignore[type-arg]
        return {k: v for k, v in rows.items() if v[0] <= closed_before}

    assert_eventually_equal(lambda: closed(active_users(stack, lo, hi)), want_active, "windows")
    assert_eventually_equal(lambda: closed(products(stack, lo, hi)), want_products, "products")
    assert_eventually_equal(
        lambda: sessions(stack, lo, hi), expected_sessions(expected), "sessions"
    )
