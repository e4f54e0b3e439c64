"""Start and stop the local stack's processes in dependency order, and report what runs.

The stack is the three engines and rta's own services (collector, dashboard), which run on
them. This layer knows processes, not what runs on them: once a component is up, `up`
calls `on_ready(name)` (rta.lifecycle passes rta.provision's steps), and before one
stops, `down` calls `before_stop(name)` (the pipeline's final savepoint). A component
the settings point at a remote endpoint starts nothing here, but gets `on_ready` too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import psutil

from rta.errors import RtaError
from rta.settings import Settings
from rta.stack.component import Component
from rta.stack.errors import StackError
from rta.stack.flink import FlinkComponent
from rta.stack.java import find_java
from rta.stack.kafka import KafkaComponent
from rta.stack.pinot import PinotComponent
from rta.stack.process import ServiceProcess
from rta.stack.service import collector_service, dashboard_service, watchdog_process

ENGINES = ("kafka", "pinot", "flink")
# rta's own services: they need Kafka's topics, so they start after Kafka is provisioned.
SERVICES = ("collector", "dashboard")
COMPONENTS = ENGINES + SERVICES
# Starts that wait for another component to answer. The first result's way runs through
# Flink (its JVMs, then the job's submission), not through Pinot, which reads every
# topic from its earliest offset whenever it comes up; JVMs starting at the same time
# share two cores, so Pinot's start waits for Flink's JVMs (docs/performance.md, Start-up).
STARTS_AFTER = {"pinot": "flink"}


@dataclass(frozen=True)
class StepResult:
    component: str
    action: str  # "started", "already running", "remote", "stopped", "not running"
    seconds: float
    changes: tuple[str, ...] = ()
    # Of `seconds`, until the component answered; the rest went to setting it up
    # (topics, tables, the job). None when nothing was started.
    ready_s: float | None = None


@dataclass(frozen=True)
class ProcessStatus:
    component: str
    process: str
    state: str
    pid: int | None
    ports: tuple[int, ...]
    uptime_s: float | None
    rss_mb: float | None


def is_remote(settings: Settings, name: str) -> bool:
    section: Any = getattr(settings, name)
    return bool(section.is_remote)


def in_stack(settings: Settings, name: str) -> bool:
    """Whether `name` is part of this stack at all: the engines always are; each of rta's
    services says so in its own `with_stack` setting."""
    return bool(getattr(getattr(settings, name), "with_stack", True))


def components(settings: Settings, names: Sequence[str] = COMPONENTS) -> list[Component]:
    """The local components among `names`, in start order (remote ones have none)."""
    factories: dict[str, Callable[[], Component]] = {
        "kafka": lambda: KafkaComponent(settings, find_java(settings.java_home)),
        "pinot": lambda: PinotComponent(settings, find_java(settings.java_home)),
        "flink": lambda: FlinkComponent(settings, find_java(settings.java_home)),
        "collector": lambda: collector_service(settings),
        "dashboard": lambda: dashboard_service(settings),
    }
    return [
        factories[n]()
        for n in COMPONENTS
        if n in names and in_stack(settings, n) and not is_remote(settings, n)
    ]


Notify = Callable[[str], None]
Hook = Callable[[str], Sequence[str]]


def up(
    settings: Settings,
    notify: Notify = lambda _: None,
    on_result: Callable[[StepResult], None] = lambda _: None,
    *,
    on_ready: Hook = lambda _: (),
    names: Sequence[str] = COMPONENTS,
) -> list[StepResult]:
    """Start what is not running; call `on_ready(name)` once each component answers (its
    return value is what it changed); return one result per component.

    Kafka comes first (what the others do on it must find it ready); the rest then
    start in parallel threads, each in STARTS_AFTER once the one it names answered.
    When several fail, the first in start order is raised, naming the others.
    """
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    local = {c.name: c for c in components(settings, names)}
    order = [n for n in COMPONENTS if n in names and in_stack(settings, n)]
    results: list[StepResult] = []
    if "kafka" in order:
        result = _bring_up("kafka", local.get("kafka"), notify, on_ready)
        results.append(result)
        on_result(result)
    parallel = [n for n in order if n != "kafka"]
    outcomes: dict[str, StepResult | BaseException] = {}
    answered = {n: threading.Event() for n in parallel}

    def run(name: str) -> None:
        try:
            after = STARTS_AFTER.get(name)
            if after in answered and local.get(name) is not None:
                answered[after].wait()
            outcomes[name] = result = _bring_up(
                name, local.get(name), notify, on_ready, answered[name].set
            )
            on_result(result)
        except BaseException as exc:  # re-raised in the calling thread below
            outcomes[name] = exc
        finally:
            answered[name].set()  # a failed start must not hold up what waits for it

    # Daemon threads: a Ctrl-C in the caller must not wait for a JVM that is still booting.
    threads = [threading.Thread(target=run, args=(e,), daemon=True) for e in parallel]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    failed = [(e, outcomes[e]) for e in parallel if isinstance(outcomes[e], BaseException)]
    if failed:
        exc = failed[0][1]
        assert isinstance(exc, BaseException)
        if len(failed) > 1 and isinstance(exc, RtaError):
            others = "; ".join(f"{n}: {str(e).splitlines()[0]}" for n, e in failed[1:])
            exc.args = (f"{exc}\n(also failed: {others})",)
        raise exc
    results.extend(r for e in parallel if isinstance(r := outcomes[e], StepResult))
    return results


def _bring_up(
    name: str,
    comp: Component | None,
    notify: Notify,
    on_ready: Hook,
    on_answer: Callable[[], None] = lambda: None,
) -> StepResult:
    started = time.monotonic()
    ready_s = None
    if comp is None:
        action = "remote"
    elif comp.is_running():
        action = "already running"
    else:
        notify(f"starting {name}")
        comp.start()
        action = "started"
        ready_s = time.monotonic() - started
    on_answer()
    try:
        changes = tuple(on_ready(name))
    except RtaError:
        raise  # already says what failed, for the person at the terminal
    except Exception as exc:
        raise StackError(f"{name}: set-up after start failed: {type(exc).__name__}: {exc}") from exc
    label = name if comp is not None else f"{name} (remote)"
    return StepResult(label, action, time.monotonic() - started, changes, ready_s)


def down(
    settings: Settings,
    notify: Notify = lambda _: None,
    *,
    before_stop: Callable[[str], None] = lambda _: None,
) -> list[StepResult]:
    """Stop the local components in reverse start order; `before_stop(name)` runs first
    for each one that is running. Remote ones are left alone."""
    results: list[StepResult] = []
    for comp in reversed(components(settings)):
        started = time.monotonic()
        notify(f"stopping {comp.name}")
        if comp.is_running():
            before_stop(comp.name)
        stopped = comp.stop()
        action = "stopped" if stopped else "not running"
        results.append(StepResult(comp.name, action, time.monotonic() - started))
    return results


def status(settings: Settings) -> list[ProcessStatus]:
    """One row per process of every local component, then the watchdog's if a `rta up
    --detach` left one (its pid file stays until `rta down`: a dead one is a row too)."""
    rows = [
        _process_status(comp.name, proc, tuple(comp.ports()))
        for comp in components(settings)
        for proc in comp.processes()
    ]
    watchdog = watchdog_process(settings)
    if watchdog.pid_file.exists():
        rows.append(_process_status("watchdog", watchdog, ()))
    return rows


def _process_status(component: str, proc: ServiceProcess, ports: tuple[int, ...]) -> ProcessStatus:
    p = proc.process()
    if p is None:
        return ProcessStatus(component, proc.name, "stopped", None, ports, None, None)
    try:
        rss = sum(c.memory_info().rss for c in [p, *p.children(recursive=True)]) / 1e6
        uptime = time.time() - p.create_time()
    except psutil.Error:
        rss, uptime = None, None
    return ProcessStatus(component, proc.name, "running", p.pid, ports, uptime, rss)
