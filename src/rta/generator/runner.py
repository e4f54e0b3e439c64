"""Drive an EventStream into a sink: batch sizes, pacing, stop conditions.

Stopping is cooperative: the caller passes a `stop` flag (which the commands
set on Ctrl-C, see rta.signals) that is checked between batches, so a batch is
never half written and the summary is exact. Held-back late events are released
before the sink is closed, so nothing generated is left behind.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from rta.generator.clock import SimulatedClock
from rta.generator.engine import EventStream, Stats
from rta.generator.progress import ProgressDisplay
from rta.generator.sinks import Sink, SinkError
from rta.kafka.client import WAIT_WORTH_SAYING_S
from rta.pacing import Pacer

__all__ = ["RunSummary", "run"]

MAX_BATCH = 1000


@dataclass(frozen=True)
class RunSummary:
    sent: int
    stats: Stats
    elapsed_s: float
    interrupted: bool
    seed: int
    error: str | None = None
    """Why records were lost on close (e.g. Kafka delivery failures); None if none were."""
    waited_s: float = 0.0
    """Seconds the sink waited for its broker or collector (back-pressure, retries, the
    final flush): how long an outage held the run up."""

    @property
    def rate(self) -> float:
        return self.sent / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def describe(self, where: str) -> str:
        """One paragraph: what was sent where, how fast, and what of it is chaos."""
        s = self.stats
        parts = [f"{s.events:,} events in {s.sessions:,} sessions"]
        if s.duplicates:
            parts.append(f"{s.duplicates:,} duplicates")
        if s.invalid:
            kinds = ", ".join(f"{k} {v:,}" for k, v in sorted(s.invalid.items()))
            parts.append(f"{s.invalid_total:,} invalid ({kinds})")
        if s.late:
            parts.append(f"{s.late:,} late")
        if s.tz_mixed:
            parts.append(f"{s.tz_mixed:,} with other offsets")
        if self.waited_s >= WAIT_WORTH_SAYING_S:
            parts.append(f"waited {self.waited_s:.1f} s for {where}")
        head = "interrupted: " if self.interrupted else ""
        return (
            f"{head}sent {self.sent:,} records to {where} in {self.elapsed_s:.2f} s "
            f"({self.rate:,.0f}/s): {'; '.join(parts)}; seed {self.seed}"
        )


def _events_within(clock: SimulatedClock, duration_s: float) -> int | None:
    """How many events a simulated clock stamps within duration_s (None: unbounded, or
    a shaped clock, whose run ends on its event time instead)."""
    step = clock.step_ms
    return math.ceil(duration_s * 1000 / step) if step > 0 and clock.shape is None else None


def run(
    stream: EventStream,
    sink: Sink,
    *,
    count: int | None = None,
    duration_s: float | None = None,
    rate: float = 0.0,
    stop: threading.Event | None = None,
    progress: ProgressDisplay | None = None,
) -> RunSummary:
    """Generate until `count` records, `duration_s` of event time, or `stop` is set.

    With a rate (records/s) the loop sleeps between batches to keep the average;
    0 means as fast as the sink takes them. Without count and duration it runs
    until stopped. The sink is closed (flushed) in every case.
    """
    if count is not None and count < 0:
        raise ValueError("count must be >= 0")
    pacer = Pacer(rate)  # raises on a negative rate before anything is generated
    clock = stream.clock
    limit = count
    end_ms: int | None = None
    if duration_s is not None:
        within = _events_within(clock, duration_s) if isinstance(clock, SimulatedClock) else None
        if within is not None:
            # Exact for simulated time: the events whose stamps fall in the window.
            limit = within if limit is None else min(limit, within)
        else:
            end_ms = clock.now_ms() + round(duration_s * 1000)
    # About 50 pacing steps per second; as big as useful at full speed.
    batch = MAX_BATCH if rate == 0 else max(1, min(MAX_BATCH, int(rate / 50)))
    stop = stop or threading.Event()
    progress = progress or ProgressDisplay("", enabled=False)
    generated = sent = 0
    interrupted = False
    error: str | None = None
    try:
        with progress:
            while limit is None or generated < limit:
                if stop.is_set():
                    interrupted = True
                    break
                if end_ms is not None and clock.now_ms() >= end_ms:
                    break
                k = batch if limit is None else min(batch, limit - generated)
                values, keys = stream.next_batch(k)
                generated += k
                sink.write(values, keys)
                sent += len(values)
                progress.advance(len(values))
                pacer.wait(generated)
            values, keys = stream.drain()
            sink.write(values, keys)
            sent += len(values)
            progress.advance(len(values))
    except BaseException:
        sink.close()  # deliver what was produced before the failure
        raise
    try:
        sink.close()
    except SinkError as exc:
        error = str(exc)
    return RunSummary(
        sent=sent,
        stats=stream.stats,
        elapsed_s=pacer.elapsed_s,
        interrupted=interrupted,
        seed=stream.config.seed,
        error=error,
        waited_s=sink.waited_s,
    )
