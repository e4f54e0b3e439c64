"""rta.watch: a process that exits during `rta up` is reported and its component restarted."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from rta import watch as watch_module
from rta.settings import Settings
from rta.stack import supervisor
from rta.watch import Watch


@dataclass
class _Proc:
    name: str
    log_file: Path
    running: bool = True
    code: int | None = None

    def is_running(self) -> bool:
        return self.running

    def exit_code(self) -> int | None:
        return self.code


@dataclass
class _Comp:
    name: str
    procs: list[_Proc]
    stopped: int = 0

    def processes(self) -> list[_Proc]:
        return self.procs

    def stop(self) -> bool:
        self.stopped += 1
        for p in self.procs:
            p.running = False
        return True


@dataclass
class _Clock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class _Up:
    """lifecycle.up for one component: brings it back, or fails `failures` times first."""

    comps: dict[str, _Comp]
    failures: int = 0
    calls: list[list[str]] = field(default_factory=list)

    def __call__(self, settings: Settings, *, names: list[str], **_: Any) -> list[Any]:
        self.calls.append(list(names))
        if self.failures:
            self.failures -= 1
            raise supervisor.StackError("port 8000 is taken")
        for name in names:
            for p in self.comps[name].procs:
                p.running, p.code = True, None
        return []


def _setup(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, failures: int = 0
) -> tuple[Watch, _Comp, _Comp, _Up, list[str], _Clock]:
    log = tmp_path / "collector.log"
    log.write_text("starting\nTraceback: boom\n")
    kafka = _Comp("kafka", [_Proc("kafka", tmp_path / "kafka.log")])
    collector = _Comp("collector", [_Proc("collector", log)])
    comps = {"kafka": kafka, "collector": collector}
    monkeypatch.setattr(supervisor, "components", lambda s, names=(): list(comps.values()))
    up = _Up(comps, failures)
    monkeypatch.setattr(watch_module.lifecycle, "up", up)
    said: list[str] = []
    clock = _Clock()
    w = Watch(Settings(state_dir=tmp_path), said.append, interval_s=5.0, clock=clock)
    return w, kafka, collector, up, said, clock


def _settle(w: Watch) -> None:
    if w._busy is not None:
        w._busy.join(5)


def test_a_running_stack_is_left_alone(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    w, _, _, up, said, _ = _setup(monkeypatch, tmp_path)
    w.poll()
    _settle(w)
    assert up.calls == [] and said == []


def test_an_exited_process_is_reported_and_its_component_restarted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    w, kafka, collector, up, said, _ = _setup(monkeypatch, tmp_path)
    collector.procs[0].running, collector.procs[0].code = False, 1
    w.poll()
    _settle(w)
    assert up.calls == [["collector"]]
    assert collector.stopped == 1 and kafka.stopped == 0
    assert said[0].startswith("collector exited with code 1; last lines of")
    assert "Traceback: boom" in said[0]
    assert said[1] == "restarting collector (restart 1)"
    assert said[2].startswith("collector is back after")
    restart = w.restarts["collector"]
    assert (restart.count, restart.last_reason) == (1, "collector exited with code 1")
    assert collector.procs[0].is_running()


def test_checks_are_at_most_every_interval(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    w, _, collector, up, _, clock = _setup(monkeypatch, tmp_path)
    w.poll()
    collector.procs[0].running = False
    clock.now = 4.0
    w.poll()
    assert up.calls == []
    clock.now = 5.0
    w.poll()
    _settle(w)
    assert up.calls == [["collector"]]


def test_a_failing_restart_backs_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    w, _, collector, up, said, clock = _setup(monkeypatch, tmp_path, failures=2)
    collector.procs[0].running = False
    w.poll()
    _settle(w)
    assert said[-1] == "collector did not come back: port 8000 is taken; next try in 5 s"
    clock.now = 5.0
    w.poll()
    _settle(w)
    assert said[-1] == "collector did not come back: port 8000 is taken; next try in 10 s"
    clock.now = 10.0  # past the check interval, but within the backoff
    w.poll()
    _settle(w)
    assert len(up.calls) == 2
    clock.now = 15.0
    w.poll()
    _settle(w)
    assert len(up.calls) == 3 and said[-1].startswith("collector is back")
    assert w.restarts["collector"].count == 3 and w.restarts["collector"].failures == 0


def test_close_stops_further_checks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    w, _, collector, up, _, clock = _setup(monkeypatch, tmp_path)
    w.close()
    collector.procs[0].running = False
    clock.now = 100.0
    w.poll()
    assert up.calls == []
