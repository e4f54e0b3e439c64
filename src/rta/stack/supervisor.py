"""Bring the local stack up and down in dependency order, and report what runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import psutil

from rta.settings import Settings
from rta.stack.component import Component
from rta.stack.errors import StackError
from rta.stack.flink import FlinkComponent
from rta.stack.java import find_java
from rta.stack.kafka import KafkaComponent
from rta.stack.pinot import PinotComponent, RemotePinot
from rta.stack.remote import RemoteFlink, RemoteKafka


@dataclass(frozen=True)
class StepResult:
    component: str
    action: str  # "started", "already running", "remote", "stopped", "not running"
    seconds: float
    changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProcessStatus:
    component: str
    process: str
    state: str
    pid: int | None
    ports: tuple[int, ...]
    uptime_s: float | None
    rss_mb: float | None


def components(settings: Settings) -> list[Component]:
    """The components in start order.

    A remote one (rta.stack.remote, RemotePinot) starts nothing here, but still gets
    rta's set-up from `up`: topics, tables, the pipeline job.
    """
    result: list[Component] = []
    if settings.kafka.is_remote:
        result.append(RemoteKafka(settings))
    else:
        result.append(KafkaComponent(settings, find_java(settings.java_home)))
    if settings.pinot.is_remote:
        result.append(RemotePinot(settings))
    else:
        result.append(PinotComponent(settings, find_java(settings.java_home)))
    if settings.flink.is_remote:
        result.append(RemoteFlink(settings))
    else:
        result.append(FlinkComponent(settings, find_java(settings.java_home)))
    return result


Notify = Callable[[str], None]


def up(
    settings: Settings,
    notify: Notify = lambda _: None,
    on_result: Callable[[StepResult], None] = lambda _: None,
) -> list[StepResult]:
    """Start what is not running and set it up; return one result per component.

    Kafka comes first (its topics must exist before Pinot's tables and the Flink
    job use them); the other components then start in parallel threads. When
    several fail, the first in start order is raised, naming the others.
    """
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    results: list[StepResult] = []

    def record(result: StepResult) -> None:
        results.append(result)
        on_result(result)

    comps = components(settings)
    first = [c for c in comps if c.name.startswith("kafka")]
    parallel = [c for c in comps if not c.name.startswith("kafka")]
    for comp in first:
        record(_bring_up(comp, notify))
    outcomes: dict[str, StepResult | BaseException] = {}

    def run(comp: Component) -> None:
        try:
            outcomes[comp.name] = result = _bring_up(comp, notify)
            on_result(result)
        except BaseException as exc:  # re-raised in the calling thread below
            outcomes[comp.name] = exc

    # Daemon threads: a Ctrl-C in the caller must not wait for a JVM that is still booting.
    threads = [threading.Thread(target=run, args=(c,), daemon=True) for c in parallel]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    failed = [
        (c.name, outcomes[c.name]) for c in parallel if isinstance(outcomes[c.name], BaseException)
    ]
    if failed:
        exc = failed[0][1]
        assert isinstance(exc, BaseException)
        if len(failed) > 1 and isinstance(exc, StackError):
            others = "; ".join(f"{n}: {str(e).splitlines()[0]}" for n, e in failed[1:])
            exc.args = (f"{exc}\n(also failed: {others})",)
        raise exc
    results.extend(r for c in parallel if isinstance(r := outcomes[c.name], StepResult))
    return results


def _bring_up(comp: Component, notify: Notify) -> StepResult:
    started = time.monotonic()
    if comp.is_running():
        action = "already running"
    else:
        notify(f"starting {comp.name}")
        comp.start()
        action = "started"
    notify(f"setting up {comp.name}")
    try:
        changes = comp.after_start()
    except StackError:
        raise
    except Exception as exc:
        raise StackError(
            f"{comp.name}: set-up after start failed: {type(exc).__name__}: {exc}"
        ) from exc
    return StepResult(comp.name, action, time.monotonic() - started, tuple(changes))


def down(settings: Settings, notify: Notify = lambda _: None) -> list[StepResult]:
    results: list[StepResult] = []
    for comp in reversed(components(settings)):
        started = time.monotonic()
        notify(f"stopping {comp.name}")
        stopped = comp.stop()
        action = "stopped" if stopped else "not running"
        results.append(StepResult(comp.name, action, time.monotonic() - started))
    return results


def status(settings: Settings) -> list[ProcessStatus]:
    rows: list[ProcessStatus] = []
    for comp in components(settings):
        for proc in comp.processes():
            p = proc.process()
            if p is None:
                ports = tuple(comp.ports())
                rows.append(ProcessStatus(comp.name, proc.name, "stopped", None, ports, None, None))
                continue
            try:
                rss = sum(c.memory_info().rss for c in [p, *p.children(recursive=True)]) / 1e6
                uptime = time.time() - p.create_time()
            except psutil.Error:
                rss, uptime = None, None
            rows.append(
                ProcessStatus(
                    comp.name, proc.name, "running", p.pid, tuple(comp.ports()), uptime, rss
                )
            )
    return rows
