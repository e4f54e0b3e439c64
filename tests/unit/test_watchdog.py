"""rta.watchdog: the process that watches a detached stack until `rta down`, and how
`rta up` / `rta down` start and stop it. Fake components; no JVM."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest
from typer.testing import CliRunner

from rta import foreground, watchdog
from rta.cli import app
from rta.layout import Layout
from rta.restarts import RestartLog, RestartRecord
from rta.settings import CollectorSettings, DashboardSettings, Settings, WatchSettings
from rta.stack import supervisor
from rta.stack.component import Component
from rta.stack.process import PidFile, ServiceProcess

runner = CliRunner()


class _Proc:
    """The one process of a _Fake: running while its component is."""

    def __init__(self, comp: _Fake) -> None:
        self.comp, self.name = comp, comp.name
        self.log_file = Path("/nonexistent") / f"{comp.name}.log"

    def is_running(self) -> bool:
        return self.comp.running

    def exit_code(self) -> int | None:
        return None


class _Fake(Component):
    """A component whose process is a flag; start and stop are logged."""

    def __init__(self, name: str, log: list[str], running: bool = False) -> None:
        self.name, self.log, self.running = name, log, running

    def ports(self) -> list[int]:
        return []

    def processes(self) -> list[ServiceProcess]:
        return [_Proc(self)]  # type: ignore[list-item]

    def is_running(self) -> bool:
        return self.running

    def start(self) -> None:
        self.log.append(f"start {self.name}")
        self.running = True

    def stop(self, timeout_s: float = 30.0) -> bool:
        self.log.append(f"stop {self.name}")
        was, self.running = self.running, False
        return was


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "RTA_STATE_DIR": str(tmp_path),
        "COLUMNS": "200",
        "RTA_COLLECTOR__WITH_STACK": "false",
        "RTA_DASHBOARD__WITH_STACK": "false",
    }


@pytest.fixture
def log(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fake kafka and pinot, no provisioning, and a watchdog that only logs."""
    out: list[str] = []
    comps: list[Component] = [_Fake("kafka", out), _Fake("pinot", out)]
    monkeypatch.setattr(supervisor, "components", lambda s, names=(): comps)
    monkeypatch.setattr("rta.lifecycle.provision", lambda *a, **k: [])
    monkeypatch.setattr("rta.foreground.preflight", lambda *a, **k: None)
    running: list[int] = []

    def start(settings: Settings) -> int:
        out.append("start watchdog")
        running.append(4242)
        return 4242

    def stop(settings: Settings) -> bool:
        out.append("stop watchdog")
        return bool(running and running.pop())

    monkeypatch.setattr(watchdog, "start", start)
    monkeypatch.setattr(watchdog, "stop", stop)
    monkeypatch.setattr(
        watchdog, "running", lambda s: psutil.Process() if running else None, raising=True
    )
    return out


def test_up_detach_leaves_a_watchdog_and_down_stops_it_first(
    log: list[str], tmp_path: Path
) -> None:
    result = runner.invoke(app, ["up", "--detach"], env=_env(tmp_path))
    assert result.exit_code == 0, result.output
    assert log[-1] == "start watchdog"  # once the stack is up, not alongside it
    assert "watchdog (pid 4242) restarts any process that exits, until `rta down`" in (
        " ".join(result.output.split())
    )
    log.clear()
    result = runner.invoke(app, ["down"], env=_env(tmp_path))
    assert result.exit_code == 0, result.output
    assert log == ["stop watchdog", "stop pinot", "stop kafka"]
    assert "stopping the watchdog" in result.output


class _Gen:
    """The generator of a foreground `rta up`: ends at once, after one tick of the watch."""

    def __init__(self, *a: Any) -> None:
        self.error = None

    def start(self) -> None:
        pass

    def join(self, timeout: float | None = None) -> None:
        pass

    def wait(self, console: object, tick: Callable[[], None]) -> int:
        tick()
        return 0


def test_a_foreground_up_watches_by_itself(
    log: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(foreground, "GeneratorThread", _Gen)
    watchdog.start(Settings(state_dir=tmp_path))  # left by an earlier `rta up --detach`
    log.clear()
    result = runner.invoke(app, ["up"], env=_env(tmp_path))
    assert result.exit_code == 0, result.output
    assert log[:2] == ["stop watchdog", "start kafka"]
    assert "start watchdog" not in log
    assert "stopping the watchdog (pid" in result.output


def test_keep_running_hands_the_stack_to_a_watchdog(
    log: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(foreground, "GeneratorThread", _Gen)
    result = runner.invoke(app, ["up", "--keep-running"], env=_env(tmp_path))
    assert result.exit_code == 0, result.output
    assert log[-1] == "start watchdog" and "stop kafka" not in log


def test_a_fresh_stack_starts_with_no_restart_records(log: list[str], tmp_path: Path) -> None:
    records = RestartLog(Layout(tmp_path).restarts)
    records.write(RestartRecord("kafka", 3, "kafka exited with code 1", 1.0, "back"))
    result = runner.invoke(app, ["up", "--detach"], env=_env(tmp_path))
    assert result.exit_code == 0, result.output
    assert records.read() == {}


def test_a_watch_that_stops_the_stack_ends_the_foreground_session(
    log: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Gen:
        """Runs until the stop event, as the real generator does; the watch sets it."""

        def __init__(self, settings: Settings, rate: Any, stop: threading.Event) -> None:
            self.error, self.stop = None, stop

        def start(self) -> None:
            pass

        def join(self, timeout: float | None = None) -> None:
            pass

        def wait(self, console: object, tick: Callable[[], None]) -> int:
            kafka = supervisor.components(Settings())[0]
            assert isinstance(kafka, _Fake)
            kafka.running = False  # the broker dies
            deadline = time.monotonic() + 5
            while not self.stop.is_set() and time.monotonic() < deadline:
                tick()
                time.sleep(0.05)
            return 0

    monkeypatch.setattr(foreground, "GeneratorThread", Gen)
    env = {**_env(tmp_path), "RTA_WATCH__ON_EXIT": "stop"}
    result = runner.invoke(app, ["up", "--keep-running"], env=env)
    out = " ".join(result.output.split())
    assert result.exit_code == 1, result.output
    assert "stopping the stack: kafka is not running (watch.on_exit is stop)" in out
    assert "stop pinot" in log and "start watchdog" not in log  # --keep-running or not


# --- the watchdog's own loop ------------------------------------------------------------


def _settings(tmp_path: Path, **watch: Any) -> Settings:
    return Settings(
        state_dir=tmp_path,
        collector=CollectorSettings(with_stack=False),
        dashboard=DashboardSettings(with_stack=False),
        watch=WatchSettings(interval_s=0.05, **watch),
    )


def _sigterm_in(seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    return timer


def test_the_loop_restarts_until_sigterm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    said: list[str] = []
    kafka = _Fake("kafka", [], running=False)
    monkeypatch.setattr(supervisor, "components", lambda s, names=(): [kafka])
    ups: list[list[str]] = []

    def up(settings: Settings, *, names: list[str], **_: Any) -> list[Any]:
        ups.append(list(names))
        kafka.running = True
        return []

    monkeypatch.setattr("rta.watch.lifecycle.up", up)
    _sigterm_in(0.5)
    assert watchdog.run(_settings(tmp_path), say=said.append, tick_s=0.02) == 0
    assert ups == [["kafka"]]
    assert said[0] == "watching the stack every 0.05 s (on exit: restart)"
    assert "restarting kafka (restart 1)" in said
    assert said[-1] == "asked to stop; the watchdog ends"


def test_a_hiccup_does_not_end_the_watchdog(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    said: list[str] = []

    def broken(s: Settings, names: Any = ()) -> list[Component]:
        raise psutil.AccessDenied(1)

    monkeypatch.setattr(supervisor, "components", broken)
    _sigterm_in(0.3)
    assert watchdog.run(_settings(tmp_path), say=said.append, tick_s=0.02) == 0
    assert any(m.startswith("checking the processes failed: AccessDenied") for m in said)


def test_on_exit_stop_downs_the_stack_and_ends(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    said: list[str] = []
    monkeypatch.setattr(
        supervisor, "components", lambda s, names=(): [_Fake("kafka", [], running=False)]
    )
    downs: list[Settings] = []
    monkeypatch.setattr("rta.watch.lifecycle.down", lambda s, *a, **k: downs.append(s))
    pid_file = Layout(tmp_path).watchdog_pid_file
    PidFile(pid_file).record(psutil.Process())
    settings = _settings(tmp_path, on_exit="stop")
    timer = _sigterm_in(5.0)  # only if it failed to end by itself
    try:
        assert watchdog.run(settings, say=said.append, tick_s=0.02) == 1
    finally:
        timer.cancel()
    assert downs == [settings]
    assert said[-1] == "stack stopped; the watchdog ends"
    assert not pid_file.exists()  # it ended on purpose: not a dead watchdog


# --- the real process -------------------------------------------------------------------


def test_the_watchdog_process_starts_shows_in_status_and_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every engine remote and no services: nothing local to watch, so no JVM, no Java.
    for var, value in {
        "RTA_KAFKA__BOOTSTRAP_SERVERS": "kafka.invalid:9092",
        "RTA_FLINK__REST_URL": "http://flink.invalid:8081",
        "RTA_PINOT__CONTROLLER_URL": "http://pinot.invalid:9000",
        "RTA_COLLECTOR__WITH_STACK": "false",
        "RTA_DASHBOARD__WITH_STACK": "false",
    }.items():
        monkeypatch.setenv(var, value)
    settings = Settings(state_dir=tmp_path)
    pid = watchdog.start(settings)
    try:
        assert watchdog.start(settings) == pid  # one per state directory
        proc = psutil.Process(pid)
        assert proc.cmdline()[1:] == ["-m", "rta", "watch"] and proc.cmdline()[0] == sys.executable
        log_file = Layout(tmp_path).log_file("watchdog")
        deadline = time.monotonic() + 30
        while "watching the stack" not in log_file.read_text():
            assert time.monotonic() < deadline, log_file.read_text()
            time.sleep(0.1)
        (row,) = supervisor.status(settings)
        assert (row.component, row.process, row.state, row.pid) == (
            "watchdog",
            "watchdog",
            "running",
            pid,
        )
    finally:
        assert watchdog.stop(settings)
    assert watchdog.running(settings) is None
    assert "asked to stop; the watchdog ends" in log_file.read_text()
    assert supervisor.status(settings) == []  # `rta down` cleared its pid file


def test_status_lists_a_dead_watchdog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(supervisor, "components", lambda s, names=(): [])
    Layout(tmp_path).run.mkdir(parents=True)
    Layout(tmp_path).watchdog_pid_file.write_text("999999999 1.0\n")
    (row,) = supervisor.status(Settings(state_dir=tmp_path))
    assert (row.component, row.state, row.pid) == ("watchdog", "stopped", None)


def test_reset_refuses_while_a_watchdog_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "run").mkdir()
    monkeypatch.setattr(supervisor, "components", lambda s, names=(): [])
    monkeypatch.setattr(watchdog, "running", lambda s: psutil.Process())
    result = runner.invoke(app, ["reset", "--yes"], env={"RTA_STATE_DIR": str(tmp_path)})
    assert result.exit_code == 1 and "(watchdog)" in result.output
    assert tmp_path.exists()
