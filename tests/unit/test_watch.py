"""rta.watch: a process that exits during `rta up` is reported and its component restarted."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from rta import watch as watch_module
from rta.layout import Layout
from rta.restarts import RestartLog, RestartRecord
from rta.settings import Settings, WatchSettings
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
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    failures: int = 0,
    watch: WatchSettings | None = None,
    on_stop: Any = None,
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
    settings = Settings(state_dir=tmp_path, watch=watch or WatchSettings(interval_s=5.0))
    w = Watch(settings, said.append, on_stop=on_stop, clock=clock, wall=lambda: 1_700_000_000.0)
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


def _records(tmp_path: Path) -> dict[str, RestartRecord]:
    return RestartLog(Layout(tmp_path).restarts).read()


def test_each_restart_is_recorded_for_rta_status(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    w, _, collector, _, _, clock = _setup(monkeypatch, tmp_path, failures=1)
    collector.procs[0].running, collector.procs[0].code = False, 1
    w.poll()
    _settle(w)
    rec = _records(tmp_path)["collector"]
    assert (rec.count, rec.state, rec.at) == (1, "failed", 1_700_000_000.0)
    assert rec.last_reason == "collector exited with code 1; restart failed: port 8000 is taken"
    clock.now = 5.0
    w.poll()
    _settle(w)
    rec = _records(tmp_path)["collector"]
    assert (rec.count, rec.state) == (2, "back")
    assert "kafka" not in _records(tmp_path)


def test_a_restart_under_way_is_recorded_as_such(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    w, _, collector, up, _, _ = _setup(monkeypatch, tmp_path)
    seen: list[RestartRecord] = []

    def up_and_look(settings: Settings, *, names: list[str], **kw: Any) -> list[Any]:
        seen.append(_records(tmp_path)["collector"])
        return up(settings, names=names, **kw)

    monkeypatch.setattr(watch_module.lifecycle, "up", up_and_look)
    collector.procs[0].running = False
    w.poll()
    _settle(w)
    assert seen[0].state == "restarting" and seen[0].restarting(1_700_000_000.0 + 1)
    assert seen[0].last_reason == "collector is not running"


def test_counts_go_on_from_the_records_of_an_earlier_watch(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    RestartLog(Layout(tmp_path).restarts).write(
        RestartRecord("collector", 2, "collector exited with code 1", 1.0, "back")
    )
    w, _, collector, _, said, _ = _setup(monkeypatch, tmp_path)
    collector.procs[0].running = False
    w.poll()
    _settle(w)
    assert "restarting collector (restart 3)" in said
    assert _records(tmp_path)["collector"].count == 3


def test_backoff_is_capped(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    watch = WatchSettings(interval_s=5.0, max_backoff_s=8.0)
    w, _, collector, _, said, clock = _setup(monkeypatch, tmp_path, failures=3, watch=watch)
    collector.procs[0].running = False
    for now in (0.0, 5.0, 15.0):
        clock.now = now
        w.poll()
        _settle(w)
    assert said[-1].endswith("next try in 8 s")


def test_on_exit_stop_stops_the_stack_and_watches_no_more(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    reasons: list[str] = []
    watch = WatchSettings(on_exit="stop")
    w, _, collector, up, said, clock = _setup(
        monkeypatch, tmp_path, watch=watch, on_stop=reasons.append
    )
    collector.procs[0].running, collector.procs[0].code = False, 137
    w.poll()
    _settle(w)
    assert reasons == ["collector exited with code 137"]
    assert w.stopped_because == "collector exited with code 137"
    assert said[-1] == "stopping the stack: collector exited with code 137 (watch.on_exit is stop)"
    assert up.calls == [] and collector.stopped == 0
    rec = _records(tmp_path)["collector"]
    assert (rec.count, rec.state) == (0, "stopped the stack")
    clock.now = 100.0
    w.poll()
    _settle(w)
    assert reasons == ["collector exited with code 137"]


def test_on_exit_stop_uses_lifecycle_down_by_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    downs: list[Settings] = []
    monkeypatch.setattr(watch_module.lifecycle, "down", lambda s, *a, **k: downs.append(s))
    w, _, collector, _, _, _ = _setup(monkeypatch, tmp_path, watch=WatchSettings(on_exit="stop"))
    collector.procs[0].running = False
    w.poll()
    _settle(w)
    assert downs == [w.settings]


def test_a_broken_record_file_reads_as_none(tmp_path: Path) -> None:
    log = RestartLog(tmp_path / "restarts.json")
    assert log.read() == {}
    log.path.write_text("{not json")
    assert log.read() == {}
    log.path.write_text('{"kafka": {"count": 1}}')
    assert log.read() == {}


def test_a_stale_restarting_record_is_not_a_restart_under_way() -> None:
    rec = RestartRecord("kafka", 1, "kafka is not running", at=1000.0)
    assert rec.restarting(1000.0 + 60)
    assert not rec.restarting(1000.0 + 3600)
    assert not RestartRecord("kafka", 1, "", 1000.0, "back").restarting(1001.0)
