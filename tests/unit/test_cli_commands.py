"""rta up / down / status / logs / reset / config, and the parts behind them, without a JVM.

The failure paths of `rta up` run for real against a fake `java` (a shell script that
answers `-version` as Java 17 and otherwise prints a line and sleeps), so the
supervisor, its probes and the exit codes are exercised as they are on a real stack.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
from typer.testing import CliRunner

from rta.cli import app
from rta.commands import status as status_cmd
from rta.commands.config import rows
from rta.commands.logs import follow, select
from rta.health import FlinkHealth, Health, KafkaHealth, PinotTableHealth, newest_age
from rta.pipeline.counts import PipelineCounts
from rta.settings import CollectorSettings, DashboardSettings, Settings
from rta.stack import StackError, StartupError, supervisor
from rta.stack.component import Component
from rta.stack.preflight import GB, ResourceError, Resources, check
from rta.stack.process import ServiceProcess
from rta.stack.supervisor import ProcessStatus
from rta.testing import free_ports

runner = CliRunner()


# --- a fake JDK and state for running `rta up` without a JVM ----------------------------


@pytest.fixture
def fake_env(tmp_path: Path) -> dict[str, str]:
    """RTA_* variables for a stack whose `java` is a script and whose jars are empty files."""
    jdk = tmp_path / "jdk"
    (jdk / "bin").mkdir(parents=True)
    java = jdk / "bin" / "java"
    java.write_text(
        "#!/bin/sh\n"
        'case "$*" in\n'
        "  *-version*) echo 'openjdk version \"17.0.9\" 2023-10-17' >&2; exit 0;;\n"
        "  *StorageTool*) exit 0;;\n"
        "esac\n"
        "echo 'fake broker: still booting'\n"
        "exec sleep 120\n"
    )
    java.chmod(0o755)
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "fake.jar").write_bytes(b"")
    for module in ("kafka", "pinot"):
        (cache / f"{module}.classpath").write_text(str(cache / "fake.jar"))
    ports = free_ports(2)
    return {
        "RTA_JAVA_HOME": str(jdk),
        "RTA_STATE_DIR": str(tmp_path / "state"),
        "RTA_CACHE_DIR": str(cache),
        "RTA_KAFKA__PORT": str(ports[0]),
        "RTA_KAFKA__CONTROLLER_PORT": str(ports[1]),
        "RTA_KAFKA__START_TIMEOUT_S": "2",
    }


@pytest.fixture(autouse=True)
def _roomy_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    # A busy CI machine must not fail these tests in preflight; preflight has its own tests.
    monkeypatch.setattr("rta.foreground.preflight", lambda *a, **k: None)


def _invoke(args: list[str], env: dict[str, str], **kw: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, args, env=env, **kw)  # type: ignore[arg-type]


def _sleepers(state_dir: Path) -> list[psutil.Process]:
    found = []
    for p in psutil.process_iter(["cmdline"]):
        try:
            if p.info["cmdline"] and any(str(state_dir) in a for a in p.info["cmdline"]):
                found.append(p)
        except psutil.Error:
            continue
    return found


def test_up_with_bad_java_home_fails_with_exit_1(tmp_path: Path) -> None:
    env = {"RTA_JAVA_HOME": str(tmp_path / "no-jdk"), "RTA_STATE_DIR": str(tmp_path / "s")}
    result = _invoke(["up"], env)
    assert result.exit_code == 1
    assert f"Java not found: {tmp_path / 'no-jdk' / 'bin' / 'java'} does not exist" in (
        result.output
    )


def test_up_with_port_taken_names_the_holder(fake_env: dict[str, str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", int(fake_env["RTA_KAFKA__PORT"])))
        s.listen()
        result = _invoke(["up"], fake_env)
    assert result.exit_code == 1
    port = fake_env["RTA_KAFKA__PORT"]
    assert (
        f"Kafka cannot start: port {port} on 127.0.0.1 is already in use by pid {os.getpid()}"
        in (" ".join(result.output.split()))
    )


def test_up_component_that_never_comes_up_shows_log_and_stops_it(
    fake_env: dict[str, str],
) -> None:
    result = _invoke(["up"], fake_env)
    out = " ".join(result.output.split())
    assert result.exit_code == 1, result.output
    assert "kafka did not become ready" in out and "within 2 s" in out
    assert "fake broker: still booting" in out  # the log's last lines
    log = Path(fake_env["RTA_STATE_DIR"]) / "logs" / "kafka.log"
    assert f"Full log: {log}" in out
    # What this `rta up` started is stopped again: nothing is left running.
    assert "stopping what was started" in out
    assert not _sleepers(Path(fake_env["RTA_STATE_DIR"]))


def test_down_with_nothing_running(fake_env: dict[str, str]) -> None:
    result = _invoke(["down"], fake_env)
    assert result.exit_code == 0, result.output
    assert "kafka: not running" in result.output


# --- preflight --------------------------------------------------------------------------


def test_preflight_refuses_low_memory(tmp_path: Path) -> None:
    with pytest.raises(ResourceError, match=r"Not enough memory: 1\.5 GB available.*needs 4 GB"):
        check(Resources(int(1.5 * GB), 100 * GB, tmp_path))


def test_preflight_refuses_low_disk(tmp_path: Path) -> None:
    with pytest.raises(ResourceError, match=rf"Not enough disk: 0\.5 GB free at {tmp_path}"):
        check(Resources(16 * GB, GB // 2, tmp_path))


def test_preflight_passes_with_room(tmp_path: Path) -> None:
    check(Resources(16 * GB, 100 * GB, tmp_path))


def test_preflight_error_exits_1(fake_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*a: object, **k: object) -> None:
        raise ResourceError("Not enough memory: 1.0 GB available, the local stack needs 4 GB.")

    monkeypatch.setattr("rta.foreground.preflight", refuse)
    result = _invoke(["up"], fake_env)
    assert result.exit_code == 1
    assert "Not enough memory" in result.output


# --- the supervisor's parallel start ----------------------------------------------------


class _Fake(Component):
    def __init__(self, name: str, log: list[str], delay: float = 0.3, fail: str = "") -> None:
        self.name, self.log, self.delay, self.fail = name, log, delay, fail

    def ports(self) -> list[int]:
        return []

    def processes(self) -> list[ServiceProcess]:
        return []

    def is_running(self) -> bool:
        return False

    def start(self) -> None:
        self.log.append(f"start {self.name}")
        time.sleep(self.delay)
        if self.fail == "start":
            raise StartupError(f"{self.name} did not become ready")
        self.log.append(f"ready {self.name}")


def _set_up(failing: str = "") -> Callable[[str], list[str]]:
    """The provisioning hook: what it set up on an engine, or a failure on `failing`."""

    def on_ready(engine: str) -> list[str]:
        if engine == failing:
            raise RuntimeError("gateway said no")
        return [f"set up {engine}"]

    return on_ready


def _with_fakes(monkeypatch: pytest.MonkeyPatch, comps: list[Component]) -> Settings:
    monkeypatch.setattr(supervisor, "components", lambda s, names=(): comps)
    # A component without a fake would count as remote: leave rta's services out then.
    faked = {c.name for c in comps}
    return Settings(
        state_dir=Path(os.environ.get("TMPDIR", "/tmp")) / "rta-unit-sup",
        collector=CollectorSettings(with_stack="collector" in faked),
        dashboard=DashboardSettings(with_stack="dashboard" in faked),
    )


def test_kafka_first_then_the_rest_in_parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    log: list[str] = []
    comps: list[Component] = [
        _Fake("kafka", log, 0.05),
        _Fake("pinot", log, 0.05),
        _Fake("flink", log, 0.05),
        _Fake("collector", log, 0.05),
    ]
    settings = _with_fakes(monkeypatch, comps)
    seen: list[str] = []
    results = supervisor.up(
        settings, on_result=lambda r: seen.append(r.component), on_ready=_set_up()
    )
    assert log[:2] == ["start kafka", "ready kafka"]
    # Flink and the collector started before either was ready: at the same time, and
    # only once Kafka (with its topics) was ready; Pinot once Flink's JVMs answered.
    assert set(log[2:4]) == {"start flink", "start collector"}
    assert log.index("start pinot") > log.index("ready flink")
    assert [r.component for r in results] == ["kafka", "pinot", "flink", "collector"]
    assert sorted(seen) == ["collector", "flink", "kafka", "pinot"]
    assert results[2].changes == ("set up flink",)


def test_a_failed_flink_start_does_not_hold_up_pinot(monkeypatch: pytest.MonkeyPatch) -> None:
    log: list[str] = []
    comps: list[Component] = [
        _Fake("kafka", log, 0.0),
        _Fake("pinot", log, 0.0),
        _Fake("flink", log, 0.0, fail="start"),
    ]
    settings = _with_fakes(monkeypatch, comps)
    with pytest.raises(StartupError, match="flink did not become ready"):
        supervisor.up(settings, on_ready=_set_up())
    assert "ready pinot" in log


def test_parallel_failures_name_the_first_and_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    log: list[str] = []
    comps: list[Component] = [
        _Fake("kafka", log, 0.0),
        _Fake("pinot", log, 0.2, fail="start"),
        _Fake("flink", log, 0.0),
    ]
    settings = _with_fakes(monkeypatch, comps)
    with pytest.raises(StartupError) as info:
        supervisor.up(settings, on_ready=_set_up(failing="flink"))
    msg = str(info.value)
    assert msg.startswith("pinot did not become ready")
    assert (
        "also failed: flink: flink: set-up after start failed: RuntimeError: gateway said no" in msg
    )


def test_setup_error_becomes_a_stack_error(monkeypatch: pytest.MonkeyPatch) -> None:
    comps: list[Component] = [_Fake("flink", [], 0.0)]
    settings = _with_fakes(monkeypatch, comps)
    with pytest.raises(StackError, match="flink: set-up after start failed: RuntimeError"):
        supervisor.up(settings, on_ready=_set_up(failing="flink"))


# --- status -----------------------------------------------------------------------------


def _report(ok: bool) -> status_cmd.StatusReport:
    procs = [
        ProcessStatus("kafka", "kafka", "running", 11, (9092, 9093), 30.0, 900.0),
        ProcessStatus(
            "pinot",
            "pinot",
            "running" if ok else "stopped",
            12 if ok else None,
            (9000,),
            20.0 if ok else None,
            800.0 if ok else None,
        ),
    ]
    health = Health(
        KafkaHealth("raw_events", 12345, 4),
        FlinkHealth(
            "abc",
            "RUNNING",
            987.0,
            PipelineCounts(valid=12003, on_time=11990, late=7, rejected={"price: must be >= 0": 2}),
            4.0,
        ),
        [
            PinotTableHealth("raw_events", 12000, 2.0),
            PinotTableHealth("active_users_per_minute", 3, 70.0),
        ],
    )
    return status_cmd.StatusReport(procs, health, {})


@pytest.mark.parametrize("ok", [True, False])
def test_status_table_and_exit_code(monkeypatch: pytest.MonkeyPatch, ok: bool) -> None:
    monkeypatch.setattr(status_cmd, "collect", lambda s: _report(ok))
    result = runner.invoke(app, ["status"], env={"COLUMNS": "200"})
    assert result.exit_code == (0 if ok else 3), result.output
    out = result.output
    assert "12,345 events in 4 partitions" in out
    assert "987 records/s" in out and "RUNNING" in out
    # The job's own totals, not Flink's per-vertex metrics (a source reads "0 records in").
    assert "12,005 read, 2 rejected, 6 duplicates, 7 late, 11,997 passed on" in out
    assert "3 rows, newest 70 s ago" in out
    assert ("1,700 MB" if ok else "900 MB") in out  # the total resident memory


def test_status_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(status_cmd, "collect", lambda s: _report(True))
    result = runner.invoke(app, ["status", "--json"])
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["total_rss_mb"] == 1700.0
    assert data["health"]["pinot"][1]["rows"] == 3
    assert data["health"]["flink"]["counts"]["late"] == 7


def test_newest_age() -> None:
    assert newest_age(0, None, 1000.0) is None
    assert newest_age(5, float("-inf"), 1000.0) is None
    assert newest_age(5, -9.2e18, 1000.0) is None
    assert newest_age(5, 990_000.0, 1000.0) == pytest.approx(10.0)


# --- logs -------------------------------------------------------------------------------


def test_logs_select_by_name_or_prefix(tmp_path: Path) -> None:
    files = {n: tmp_path / f"{n}.log" for n in ("kafka", "flink-jobmanager", "flink-taskmanager")}
    assert list(select(files, "kafka")) == ["kafka"]
    assert list(select(files, "flink")) == ["flink-jobmanager", "flink-taskmanager"]
    assert select(files, "pinot") == {}


def test_logs_follow_prints_tail_then_appended_lines(tmp_path: Path) -> None:
    path = tmp_path / "kafka.log"
    path.write_text("old 1\nold 2\nold 3\n")
    seen: list[str] = []

    def append() -> None:
        time.sleep(0.3)
        with open(path, "a") as fh:
            fh.write("new 1\nnew ")
            fh.flush()
            time.sleep(0.3)
            fh.write("2\n")

    writer = threading.Thread(target=append)
    writer.start()
    deadline = time.monotonic() + 5
    follow(
        {"kafka": path},
        seen.append,
        lines=2,
        stop=lambda: "new 2" in seen or time.monotonic() > deadline,
        interval_s=0.05,
    )
    writer.join()
    assert seen == ["old 2", "old 3", "new 1", "new 2"]


def test_logs_command(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "kafka.log").write_text("a\nb\nc\n")
    env = {"RTA_STATE_DIR": str(tmp_path)}
    shown = runner.invoke(app, ["logs", "kafka", "-n", "2"], env=env)
    assert shown.exit_code == 0 and shown.stdout.splitlines() == ["b", "c"]
    listed = runner.invoke(app, ["logs"], env={**env, "COLUMNS": "200"})
    assert listed.exit_code == 0 and "kafka" in listed.stdout
    unknown = runner.invoke(app, ["logs", "pinot"], env=env)
    assert unknown.exit_code == 2 and "no log for 'pinot' (known: kafka)" in unknown.output


# --- reset ------------------------------------------------------------------------------


def test_reset_asks_and_respects_no(tmp_path: Path) -> None:
    state = tmp_path / "state"
    (state / "logs").mkdir(parents=True)
    result = runner.invoke(app, ["reset"], env={"RTA_STATE_DIR": str(state)}, input="n\n")
    assert result.exit_code == 1 and state.exists()


def test_reset_yes_deletes(tmp_path: Path) -> None:
    state = tmp_path / "state"
    (state / "kafka" / "data").mkdir(parents=True)
    (state / "kafka" / "data" / "x").write_bytes(b"0" * 1000)
    result = runner.invoke(app, ["reset", "--yes"], env={"RTA_STATE_DIR": str(state)})
    assert result.exit_code == 0, result.output
    assert not state.exists()


def test_reset_refuses_a_directory_that_is_not_ours(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    result = runner.invoke(app, ["reset", "--yes"], env={"RTA_STATE_DIR": str(tmp_path)})
    assert result.exit_code == 1 and "does not look like an rta state directory" in result.output
    assert (tmp_path / "precious.txt").exists()


def test_reset_refuses_while_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = tmp_path / "state"
    (state / "run").mkdir(parents=True)

    class Running(_Fake):
        def is_running(self) -> bool:
            return True

    monkeypatch.setattr(supervisor, "components", lambda s: [Running("kafka", [])])
    result = runner.invoke(app, ["reset", "--yes"], env={"RTA_STATE_DIR": str(state)})
    assert result.exit_code == 1 and "rta down" in result.output
    assert state.exists()


# --- config -----------------------------------------------------------------------------


def test_config_rows_name_env_vars_and_sources() -> None:
    settings = Settings(kafka={"port": 19092, "partitions": 8})  # type: ignore[arg-type]
    by_key = {r.key: r for r in rows(settings, environ={"RTA_KAFKA__PORT": "19092"})}
    assert by_key["kafka.port"].env_var == "RTA_KAFKA__PORT"
    assert by_key["kafka.port"].source == "env"
    assert by_key["kafka.partitions"].source == "rta.toml"  # not default, not from env
    assert by_key["flink.parallelism"].source == "default"
    assert by_key["generator.rate"].value == 1000.0
    assert by_key["java_home"].env_var == "RTA_JAVA_HOME / JAVA_HOME"


def test_config_command_shows_remote_services() -> None:
    env = {"RTA_FLINK__REST_URL": "http://flink:8081", "COLUMNS": "200"}
    result = runner.invoke(app, ["config", "--json"], env=env)
    data = json.loads(result.stdout)
    assert data["services"]["flink"].startswith("remote http://flink:8081")
    assert data["services"]["kafka"].startswith("local")
    assert data["settings"]["flink.rest_url"] == {
        "value": "http://flink:8081",
        "env": "RTA_FLINK__REST_URL",
        "source": "env",
    }


@pytest.mark.parametrize("command", ["up", "down", "status", "logs", "reset", "config"])
def test_every_command_has_help(command: str) -> None:
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "RTA_" in result.output


def test_up_starts_the_generator_once_kafka_is_ready_and_stops_all_after(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from rta import foreground

    log: list[str] = []
    comps: list[Component] = [_Fake("kafka", log, 0.0), _Fake("pinot", log), _Fake("flink", log)]
    monkeypatch.setattr(supervisor, "components", lambda s, names=(): comps)
    monkeypatch.setattr("rta.lifecycle.provision", lambda *a, **k: [])

    class FakeGenerator:
        def __init__(self, settings: Settings, rate: float | None, stop: threading.Event) -> None:
            self.error = None
            self.rate = rate

        def start(self) -> None:
            log.append("generator started")

        def join(self, timeout: float | None = None) -> None:
            pass

        def wait(self, console: object, tick: Callable[[], None]) -> int:
            tick()  # the watch: every fake component runs, so nothing to restart
            log.append("generator flushed")
            return 0

    monkeypatch.setattr(foreground, "GeneratorThread", FakeGenerator)
    env = {
        "RTA_STATE_DIR": str(tmp_path),
        "COLUMNS": "200",
        "RTA_COLLECTOR__WITH_STACK": "false",
        "RTA_DASHBOARD__WITH_STACK": "false",
    }
    result = runner.invoke(app, ["up"], env=env)
    assert result.exit_code == 0, result.output
    # Right after Kafka, before Pinot and Flink are ready.
    assert log.index("generator started") < log.index("ready pinot")
    assert log[-1] == "generator flushed"
    assert "rta is running" in result.output and "stack down in" in result.output
    assert not (tmp_path / "run" / "rta-up.pid").exists()
