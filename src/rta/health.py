"""The pipeline's own health, gathered from each engine: is data flowing end to end?

- Kafka: events in `raw_events` (sum of end minus start offsets over its partitions).
- Flink: the pipeline job's state, the records/s its source emits, and what it did
  with its input (read, rejected by reason, late, passed on: the job's own totals).
- Pinot: rows in each table and the age of its newest row.
- The collector, when it is part of the stack: events accepted and rejected, requests
  refused (its /metrics).

Every probe is independent and never raises: an engine that does not answer gives
a `Probe` with `error` set, so `rta status` can show the rest.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TypeVar

from rta.layout import Layout
from rta.restarts import RestartLog, RestartRecord
from rta.settings import Settings
from rta.tables import TABLES

if TYPE_CHECKING:
    from rta.pipeline.counts import PipelineCounts

__all__ = [
    "PINOT_TIME_COLUMNS",
    "CollectorHealth",
    "FlinkHealth",
    "Health",
    "KafkaHealth",
    "PinotTableHealth",
    "collector_health",
    "flink_health",
    "gather",
    "kafka_health",
    "newest_age",
    "pinot_health",
]

# The newest-row column of each table (milliseconds since the epoch).
PINOT_TIME_COLUMNS = {t.name: t.newest_column for t in TABLES}


@dataclass(frozen=True)
class KafkaHealth:
    topic: str
    events: int | None
    partitions: int = 0
    error: str | None = None


@dataclass(frozen=True)
class FlinkHealth:
    job_id: str | None
    state: str | None  # None: no pipeline job on the cluster
    records_per_s: float | None = None
    counts: PipelineCounts | None = None
    last_checkpoint_age_s: float | None = None
    error: str | None = None
    uptime_s: float | None = None
    """How long the job has run (Flink's duration of the job)."""
    recovery: str | None = None
    """What is under way while the job or Flink comes back, in words: "restoring from
    checkpoint", "deploying tasks", "restarting", "JobManager starting", "waiting for
    Kafka", "restarting (restart N)" (the watch restarts Flink). Not an error: wait."""

    @property
    def running(self) -> bool:
        return self.state == "RUNNING"

    @property
    def healthy(self) -> bool:
        return self.running and self.recovery is None and self.error is None


@dataclass(frozen=True)
class PinotTableHealth:
    table: str
    rows: int | None
    newest_age_s: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class CollectorHealth:
    url: str
    accepted: int | None = None
    rejected: dict[str, int] = field(default_factory=dict)
    """'field: kind' -> events rejected."""
    refused: dict[str, int] = field(default_factory=dict)
    """HTTP status -> requests refused as a whole."""
    error: str | None = None

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    @property
    def refused_total(self) -> int:
        return sum(self.refused.values())


@dataclass(frozen=True)
class Health:
    kafka: KafkaHealth
    flink: FlinkHealth
    pinot: list[PinotTableHealth]
    collector: CollectorHealth | None = None  # None: not part of this stack
    restarts: dict[str, RestartRecord] = field(default_factory=dict)
    """What the watch restarted (rta.restarts), by component."""

    @property
    def ok(self) -> bool:
        return (
            self.kafka.error is None
            and self.flink.healthy
            and all(t.error is None for t in self.pinot)
            and (self.collector is None or self.collector.error is None)
        )


def _short(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]


def kafka_health(settings: Settings, timeout_s: float = 5.0) -> KafkaHealth:
    from confluent_kafka import KafkaException, TopicPartition

    from rta.kafka.client import make_consumer

    topic = settings.kafka.raw_topic
    try:
        consumer = make_consumer(
            settings, "rta-status", **{"socket.timeout.ms": int(timeout_s * 1000)}
        )
    except KafkaException as exc:
        return KafkaHealth(topic, None, error=_short(exc))
    try:
        meta = consumer.list_topics(topic, timeout=timeout_s)
        info = meta.topics.get(topic)
        if info is None or info.error is not None or not info.partitions:
            return KafkaHealth(topic, None, error=f"topic {topic} not found")
        total = 0
        for p in info.partitions:
            low, high = consumer.get_watermark_offsets(
                TopicPartition(topic, p), timeout=timeout_s, cached=False
            )
            total += max(0, high - low)
        return KafkaHealth(topic, total, len(info.partitions))
    except KafkaException as exc:
        return KafkaHealth(topic, None, error=_short(exc))
    finally:
        consumer.close()


# What a job state of Flink's means while the job comes back, in words.
_RECOVERING_JOB = {
    "CREATED": "restoring from checkpoint",
    "INITIALIZING": "restoring from checkpoint",
    "RESTARTING": "restarting",
    "RECONCILING": "JobManager starting",
}
# Task states before RUNNING: INITIALIZING is the task restoring its state.
_RECOVERING_TASKS = {
    "INITIALIZING": "restoring from checkpoint",
    "DEPLOYING": "deploying tasks",
    "SCHEDULED": "deploying tasks",
    "CREATED": "deploying tasks",
}


def flink_health(settings: Settings, timeout_s: float = 5.0) -> FlinkHealth:
    """The pipeline job as Flink's REST API describes it. While the JobManager boots or
    the job restores, Flink answers some requests with HTTP 500 or 503: that is said in
    words (`recovery`), never shown as the answer's body."""
    from rta.pipeline.jobs import FlinkRest, FlinkRestError

    rest = FlinkRest(settings.flink.url, timeout_s=timeout_s)
    try:
        try:
            jobs = rest.jobs()
        except FlinkRestError as exc:
            if exc.status is not None and exc.status >= 500:
                # The REST endpoint answers before the dispatcher is ready to.
                return FlinkHealth(None, None, recovery="JobManager starting")
            return FlinkHealth(None, None, error=_short(exc))
        if not jobs:
            return FlinkHealth(None, None)
        job = next((j for j in jobs if j.active), jobs[0])
        if not job.active:
            return FlinkHealth(job.job_id, job.state)
        uptime = job.duration_ms / 1000
        if job.state in _RECOVERING_JOB:
            return FlinkHealth(
                job.job_id, job.state, recovery=_RECOVERING_JOB[job.state], uptime_s=uptime
            )
        try:
            vertices = rest.vertex_metrics(job.job_id)
        except FlinkRestError as exc:
            if exc.status is not None and exc.status >= 500:
                return FlinkHealth(
                    job.job_id, job.state, recovery="restoring from checkpoint", uptime_s=uptime
                )
            raise
        waiting = [_RECOVERING_TASKS.get(v.get("status", "")) for v in vertices]
        recovery = next(
            (w for w in ("restoring from checkpoint", "deploying tasks") if w in waiting), None
        )
        # Rate and checkpoint are extras: a job that answers its state but not these
        # (restoring, between checkpoints) is shown without them.
        rate: float | None = None
        if vertices and recovery is None:
            rate = _optional(lambda: rest.records_out_per_second(job.job_id, vertices[0]["id"]))
        checkpoints = _optional(lambda: rest.checkpoints(job.job_id)) or {}
        latest = (checkpoints.get("latest") or {}).get("completed") or {}
        ts = latest.get("latest_ack_timestamp")
        age = time.time() - ts / 1000 if ts else None
        return FlinkHealth(
            job.job_id,
            job.state,
            rate,
            _counts(settings, timeout_s),
            age,
            uptime_s=uptime,
            recovery=recovery,
        )
    except (FlinkRestError, KeyError, ValueError) as exc:
        return FlinkHealth(None, None, error=_short(exc))
    finally:
        rest.close()


_T = TypeVar("_T")


def _optional(probe: Callable[[], _T]) -> _T | None:
    from rta.pipeline.jobs import FlinkRestError

    try:
        return probe()
    except FlinkRestError:
        return None


def _counts(settings: Settings, timeout_s: float) -> PipelineCounts | None:
    """The job's totals from Kafka; None when they cannot be read (shown as unknown)."""
    from confluent_kafka import KafkaException

    from rta.pipeline.counts import read_counts

    try:
        return read_counts(settings, timeout_s)
    except KafkaException:
        return None


def pinot_health(
    settings: Settings, timeout_s: float = 5.0, now: Callable[[], float] = time.time
) -> list[PinotTableHealth]:
    from rta.pinot.analytics import table_newest_sql, table_rows_sql
    from rta.pinot.query import PinotClient, PinotQueryError, PinotUnavailableError

    out: list[PinotTableHealth] = []
    with PinotClient(settings.pinot.broker, timeout_s=timeout_s) as client:
        for table, column in PINOT_TIME_COLUMNS.items():
            try:
                result = client.query(table_rows_sql(table))
                newest = client.query(table_newest_sql(table, column))
            except PinotUnavailableError as exc:
                # One unreachable broker answers for every table: do not wait four times.
                return [PinotTableHealth(t, None, error=_short(exc)) for t in PINOT_TIME_COLUMNS]
            except PinotQueryError as exc:
                out.append(PinotTableHealth(table, None, error=_short(exc)))
                continue
            rows = result.rows[0][0] if result.rows else 0
            newest_ms = newest.rows[0][0] if newest.rows else None
            age = newest_age(int(rows), newest_ms, now())
            out.append(PinotTableHealth(table, int(rows), age))
    return out


def collector_health(settings: Settings, timeout_s: float = 5.0) -> CollectorHealth:
    """The collector's counters, scraped from its Prometheus /metrics."""
    import httpx
    from prometheus_client.parser import text_string_to_metric_families

    url = settings.collector.endpoint
    try:
        resp = httpx.get(f"{url}/metrics", timeout=timeout_s)
    except httpx.HTTPError as exc:
        return CollectorHealth(
            url, error=f"collector: not answering at {url} ({_short(exc)}); `rta collector`"
        )
    if resp.status_code != 200:
        return CollectorHealth(url, error=f"collector: {url}/metrics answered {resp.status_code}")
    accepted: int | None = None
    rejected: dict[str, int] = {}
    refused: dict[str, int] = {}
    try:
        for family in text_string_to_metric_families(resp.text):
            for s in family.samples:
                if s.name == "rta_collector_events_accepted_total":
                    accepted = int(s.value)
                elif s.name == "rta_collector_events_rejected_total":
                    key = f"{s.labels.get('field', '?')}: {s.labels.get('reason', '?')}"
                    rejected[key] = rejected.get(key, 0) + int(s.value)
                elif s.name == "rta_collector_requests_refused_total":
                    status = s.labels.get("status", "?")
                    refused[status] = refused.get(status, 0) + int(s.value)
    except ValueError as exc:
        return CollectorHealth(
            url, error=f"collector: {url}/metrics is not Prometheus text ({exc})"
        )
    if accepted is None:
        return CollectorHealth(url, error=f"collector: {url}/metrics has no rta collector counters")
    return CollectorHealth(url, accepted, rejected, refused)


def newest_age(rows: int, newest_ms: object, now_s: float) -> float | None:
    """Seconds since the newest row's time (negative: stamped in the future); None for
    an empty table (Pinot's MAX of nothing is -Infinity or a huge negative number)."""
    if rows == 0 or newest_ms is None:
        return None
    try:
        value = float(newest_ms)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if value <= 0 or value != value:  # non-positive or NaN
        return None
    return now_s - value / 1000


def gather(
    settings: Settings,
    timeout_s: float = 5.0,
    skip: frozenset[str] = frozenset(),
    now: Callable[[], float] = time.time,
) -> Health:
    """Every probe at once (each waits on the network, so threads keep it quick).

    Components named in `skip` ("kafka", "flink", "pinot", "collector") are known to be
    down: they are not probed, which would only wait for timeouts, and are reported as
    not running. Nor are those the watch is restarting (per its restart records): they
    are reported as "restarting (restart N)". The collector is probed only when `rta
    up` runs it or `url` names one.
    """
    restarts = RestartLog(Layout(settings.state_dir).restarts).read()
    why = {name: _NOT_RUNNING for name in skip} | {
        name: f"restarting (restart {r.count})"
        for name, r in restarts.items()
        if r.restarting(now())
    }
    c = settings.collector
    with ThreadPoolExecutor(max_workers=4) as pool:
        k = pool.submit(kafka_health, settings, timeout_s) if "kafka" not in why else None
        f = pool.submit(flink_health, settings, timeout_s) if "flink" not in why else None
        p = pool.submit(pinot_health, settings, timeout_s) if "pinot" not in why else None
        probe_collector = c.with_stack or c.is_remote
        col = (
            pool.submit(collector_health, settings, timeout_s)
            if probe_collector and "collector" not in why
            else None
        )
        collector = (
            col.result()
            if col
            else CollectorHealth(c.endpoint, error=why["collector"])
            if probe_collector
            else None
        )
        kafka = k.result() if k else KafkaHealth(settings.kafka.raw_topic, None, error=why["kafka"])
        return Health(
            kafka,
            _flink_given_kafka(f.result(), kafka) if f else _flink_not_probed(why["flink"]),
            p.result()
            if p
            else [PinotTableHealth(t, None, error=why["pinot"]) for t in PINOT_TIME_COLUMNS],
            collector,
            restarts,
        )


def _flink_not_probed(why: str) -> FlinkHealth:
    if why == _NOT_RUNNING:
        return FlinkHealth(None, None, error=why)
    return FlinkHealth(None, None, recovery=why)


def _flink_given_kafka(flink: FlinkHealth, kafka: KafkaHealth) -> FlinkHealth:
    """A job that restarts while Kafka does not answer restarts because of Kafka (its
    source fails to fetch): say what it waits for."""
    if flink.recovery == "restarting" and kafka.error is not None:
        return replace(flink, recovery="waiting for Kafka")
    return flink


_NOT_RUNNING = "not running"
