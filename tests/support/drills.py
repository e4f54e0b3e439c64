"""Fault drills on the shared stack: a stream that is fed while something fails, the
recovery that rta's own watch performs, and the check against the oracle afterwards."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime

from rta.generator.chaos import Chaos
from rta.pipeline.jobs import FlinkRest
from rta.settings import Settings
from rta.testing import generate_lines
from rta.watch import Watch
from tests.support.pipeline_io import (
    end_offsets,
    flush_watermark,
    later,
    millis,
    produce_lines,
    wait_until,
)
from tests.support.results import assert_eventually_equal, assert_results_equal, expect, raw_count

# 16,000 events over 10.7 minutes of event time, with late events, duplicates and mixed
# time zones: every kind of record the job treats specially crosses the fault.
EVENTS = 16_000
STEP_MS = 40.0
RANGE_MINUTES = 12


def drill_lines(start: datetime) -> list[bytes]:
    sink, _ = generate_lines(
        EVENTS,
        seed=7 + start.toordinal(),
        start=start.isoformat().replace("+00:00", "Z"),
        step_ms=STEP_MS,
        chaos=Chaos(late_fraction=0.02, late_max_ms=4000, duplicate_fraction=0.02, tz_mix=0.1),
        users=250,
    )
    return sink.lines


def wait_for_checkpoint_after(settings: Settings, since_ms: int) -> None:
    rest = FlinkRest(settings.flink.url)
    try:

        def done() -> bool:
            job = rest.active_job()
            if job is None:
                return False
            latest = (rest.checkpoints(job.job_id).get("latest") or {}).get("completed") or {}
            return int(latest.get("latest_ack_timestamp", 0)) > since_ms

        wait_until(done, 120, "a checkpoint", interval_s=0.5)
    finally:
        rest.close()


def job_running(settings: Settings) -> bool:
    rest = FlinkRest(settings.flink.url)
    try:
        job = rest.active_job()
        return job is not None and job.state == "RUNNING"
    except Exception:  # a JobManager coming back answers with errors or not at all
        return False
    finally:
        rest.close()


class Feeder(threading.Thread):
    """Produces records in the background at a steady rate, as a live shop does, and
    keeps what it produced (partition, record) for the oracle."""

    def __init__(self, settings: Settings, lines: list[bytes], rate: float) -> None:
        super().__init__(name="drill-feeder", daemon=True)
        self.settings, self.lines, self.rate = settings, lines, rate
        self.records: list[tuple[int, bytes]] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.records = produce_lines(self.settings, self.lines, rate=self.rate)
        except BaseException as exc:  # handed to the test in finish()
            self.error = exc

    def finish(self, timeout_s: float) -> list[tuple[int, bytes]]:
        self.join(timeout_s)
        assert not self.is_alive(), f"the feeder did not finish within {timeout_s:.0f} s"
        if self.error is not None:
            raise self.error
        return self.records


def recover(settings: Settings, component: str, timeout_s: float = 300) -> list[str]:
    """Runs rta's watch (what `rta up` runs) until it has brought `component` back;
    returns what it said."""
    said: list[str] = []
    watch = Watch(settings, said.append)
    before = watch.restarts[component].count if component in watch.restarts else 0
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            watch.poll()
            if any(f"{component} is back" in s for s in said):
                break
            time.sleep(0.5)
    finally:
        watch.close()
    assert any(f"{component} is back" in s for s in said), f"no recovery of {component}: {said}"
    assert watch.restarts[component].count == before + 1, said
    return said


def run_drill(
    settings: Settings, start: datetime, fault: Callable[[], None], component: str
) -> list[str]:
    """A third of the stream before a checkpoint, a third produced live while `fault`
    strikes (records in flight, between checkpoints), recovery by the watch, the last
    third after; then every result row and the raw count against the oracle. Returns
    what the watch said."""
    lines = drill_lines(start)
    third = len(lines) // 3
    records = produce_lines(settings, lines[:third])
    wait_for_checkpoint_after(settings, int(time.time() * 1000))
    topic = settings.kafka.raw_topic
    before = sum(end_offsets(settings, topic).values())
    feeder = Feeder(settings, lines[third : 2 * third], rate=1500.0)
    feeder.start()
    # Strike once a fifth of the live third is in Kafka and the rest still to come: the
    # job holds records read since its last checkpoint.
    wait_until(
        lambda: sum(end_offsets(settings, topic).values()) - before >= third // 5,
        30,
        "the live third to reach Kafka",
        interval_s=0.2,
    )
    fault()
    said = recover(settings, component)
    records += feeder.finish(180)
    records += produce_lines(settings, lines[2 * third :])
    assert_recovered_exactly(settings, start, records)
    return said


def assert_recovered_exactly(
    settings: Settings, start: datetime, records: list[tuple[int, bytes]]
) -> None:
    """Once the job runs again and a flush closes the drill's windows: every column of
    the three analytics and the raw count of the drill's range equal the oracle's."""
    wait_until(lambda: job_running(settings), 240, "the job to run after recovery")
    flush_watermark(settings, later(start, minutes=RANGE_MINUTES + 2))
    expected = expect(settings, records)
    lo, hi = millis(start), millis(later(start, minutes=RANGE_MINUTES))
    assert_results_equal(settings, expected, lo, hi)
    assert_eventually_equal(
        lambda: raw_count(settings, lo, hi), expected.distinct_events, "raw_events count"
    )
