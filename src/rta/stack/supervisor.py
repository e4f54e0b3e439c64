"""Bring the local stack up and down in dependency order, and report what runs."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import psutil

from rta.settings import Settings
from rta.stack.component import Component
from rta.stack.flink import FlinkComponent
from rta.stack.java import find_java
from rta.stack.kafka import KafkaComponent
from rta.stack.pinot import PinotComponent, RemotePinot


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
    """The local components in start order (remote ones are left out)."""
    result: list[Component] = []
    if not settings.kafka.is_remote:
        result.append(KafkaComponent(settings, find_java(settings.java_home)))
    # A remote Pinot starts nothing here, but still gets rta's tables from `up`.
    if settings.pinot.is_remote:
        result.append(RemotePinot(settings))
    else:
        result.append(PinotComponent(settings, find_java(settings.java_home)))
    if not settings.flink.is_remote:
        result.append(FlinkComponent(settings, find_java(settings.java_home)))
    return result


Notify = Callable[[str], None]


def up(settings: Settings, notify: Notify = lambda _: None) -> list[StepResult]:
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    results: list[StepResult] = []
    if settings.kafka.is_remote:
        results.append(StepResult("kafka", f"remote ({settings.kafka.bootstrap})", 0.0))
    for comp in components(settings):
        started = time.monotonic()
        if comp.is_running():
            action = "already running"
        else:
            notify(f"starting {comp.name}")
            comp.start()
            action = "started"
        notify(f"setting up {comp.name}")
        changes = comp.after_start()
        results.append(StepResult(comp.name, action, time.monotonic() - started, tuple(changes)))
    return results


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
