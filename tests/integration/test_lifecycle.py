"""`rta up` / `rta status` / `rta down` as a person runs them, on a stack of their own.

The session `stack` fixture cannot serve here (these tests stop and restart
everything), so the lifecycle test starts its own stack on free ports in its own
temporary state directory, driving the real CLI as subprocesses.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest
from tests.integration.conftest import REPO
from tests.support.cli import run_rta
from tests.support.drills import assert_recovered_exactly, drill_lines, wait_for_checkpoint_after
from tests.support.pipeline_io import produce_lines
from tests.support.timeline import next_range_start

from rta.settings import Settings, settings_env
from rta.testing import settings_on_free_ports

pytestmark = pytest.mark.integration


def _settings(state_dir: Path) -> Settings:
    return settings_on_free_ports(state_dir, REPO / ".cache" / "jvm")


def _env(settings: Settings) -> dict[str, str]:
    return {**os.environ, **settings_env(settings), "COLUMNS": "200"}


def _status(env: dict[str, str]) -> dict[str, Any]:
    out = run_rta(env, "status", "--json", timeout=60)
    assert out.returncode in (0, 3), out.stderr
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def _rows(report: dict[str, Any], table: str) -> int:
    row = next(t for t in report["health"]["pinot"] if t["table"] == table)
    return int(row["rows"] or 0)


def _ours(state_dir: Path) -> list[str]:
    """Live processes of this state directory: the JVMs name it on their command line,
    rta's own services (the collector) in their environment."""
    marker = str(state_dir)
    left = []
    for p in psutil.process_iter(["cmdline", "status"]):
        try:
            if p.info["status"] == psutil.STATUS_ZOMBIE or p.pid == os.getpid():
                continue
            cmdline = p.info["cmdline"] or []
            if any(marker in a for a in cmdline) or (
                "rta" in cmdline and p.environ().get("RTA_STATE_DIR") == marker
            ):
                left.append(f"{p.pid} {' '.join(cmdline)[:100]}")
        except psutil.Error:
            continue
    return left


def _wait_for(what: str, check: Any, timeout_s: float, interval_s: float = 2.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(interval_s)


def test_up_status_down_then_up_resumes(tmp_path: Path) -> None:
    state = tmp_path / "state"
    settings = _settings(state)
    env = _env(settings)
    log = tmp_path / "rta-up.log"
    with open(log, "wb") as fh:
        up = subprocess.Popen(
            [sys.executable, "-m", "rta", "up", "--rate", "2000"],
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for(
            "the panel of `rta up`",
            lambda: up.poll() is not None or "rta is running" in log.read_text(errors="replace"),
            timeout_s=300,
        )
        assert up.poll() is None, log.read_text()
        text = log.read_text()
        for part in (
            "kafka: started",
            "pinot: started",
            "flink: started",
            "collector: started",
            "dashboard: started",
            "stack up in",
        ):
            assert part in text

        # All components healthy, and data flowing: Pinot's row counts grow.
        first = _wait_for(
            "a healthy stack with rows in Pinot",
            lambda: (r := _status(env))["ok"] and _rows(r, "raw_events") > 0 and r,
            timeout_s=120,
        )
        assert {p["state"] for p in first["processes"]} == {"running"}
        assert len(first["processes"]) == 8
        assert first["health"]["flink"]["state"] == "RUNNING"
        assert first["health"]["collector"]["error"] is None

        # The collector dies: `rta up` says so and brings it back.
        (collector,) = (p for p in first["processes"] if p["component"] == "collector")
        os.kill(collector["pid"], signal.SIGKILL)
        back = _wait_for(
            "the collector to be restarted",
            lambda: (
                (r := _status(env))["ok"]
                and any(
                    p["component"] == "collector" and p["pid"] not in (None, collector["pid"])
                    for p in r["processes"]
                )
                and r
            ),
            timeout_s=60,
        )
        assert back["health"]["collector"]["error"] is None
        text = log.read_text(errors="replace")
        assert "collector exited with code -9" in text, text[-3000:]
        assert "collector is back after" in text
        later = _wait_for(
            "growing row counts",
            lambda: (
                (r := _status(env)) and _rows(r, "raw_events") > _rows(first, "raw_events") and r
            ),
            timeout_s=60,
        )
        assert later["health"]["kafka"]["events"] > first["health"]["kafka"]["events"]
        rows_before_stop = _rows(later, "raw_events")

        # Ctrl-C: the generator flushes, then the stack stops in order; nothing is left.
        os.kill(up.pid, signal.SIGINT)
        assert up.wait(timeout=300) == 0, log.read_text()[-3000:]
    finally:
        if up.poll() is None:
            os.killpg(up.pid, signal.SIGKILL)
    text = log.read_text()
    assert "interrupted: sent" in text and "stack down in" in text
    sent = int(text.split("interrupted: sent ", 1)[1].split()[0].replace(",", ""))
    assert _ours(state) == []
    assert not list((state / "run").glob("*.pid"))

    # A second `rta up` resumes the job from its savepoint; Pinot still has the rows.
    again = run_rta(env, "up", "--detach", timeout=400)
    try:
        assert again.returncode == 0, again.stderr[-3000:]
        assert "pipeline resumed from" in again.stderr
        report = _wait_for(
            "Pinot to serve the earlier rows again",
            lambda: (r := _status(env))["ok"] and _rows(r, "raw_events") >= rows_before_stop and r,
            timeout_s=120,
        )
        # Every record the generator sent before Ctrl-C was delivered (it flushed).
        assert report["health"]["kafka"]["events"] == sent
        _down_up_and_crash_mid_stream(settings, env, state)
    finally:
        down = run_rta(env, "down", timeout=400)
    assert down.returncode == 0, down.stderr
    assert _ours(state) == []


def _down_up_and_crash_mid_stream(settings: Settings, env: dict[str, str], state: Path) -> None:
    """Fault drill 5: `rta down` right after a third was produced, `rta up`; then every process
    SIGKILLed at once (a machine crash, the watchdog included) with records in flight,
    and `rta up` again. Every result row and the raw count equal the oracle's."""
    start = next_range_start()
    lines = drill_lines(start)
    third = len(lines) // 3
    records = produce_lines(settings, lines[:third])
    wait_for_checkpoint_after(settings, int(time.time() * 1000))
    records += produce_lines(settings, lines[third : 2 * third])  # just before the stop

    down = run_rta(env, "down", timeout=400)
    assert down.returncode == 0, down.stderr[-3000:]
    up = run_rta(env, "up", "--detach", timeout=400)
    assert up.returncode == 0, up.stderr[-3000:]
    assert "pipeline resumed from" in up.stderr

    records += produce_lines(settings, lines[2 * third :])
    running = {p["pid"] for p in _status(env)["processes"]}
    crashed = set()
    for line in _ours(state):
        pid = int(line.split()[0])
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
            crashed.add(pid)
    assert None not in running and running <= crashed, (running, crashed)
    _wait_for("every process gone", lambda: _ours(state) == [], timeout_s=60, interval_s=0.5)

    again = run_rta(env, "up", "--detach", timeout=400)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "pipeline resumed from" in again.stderr
    assert_recovered_exactly(settings, start, records)


def test_up_port_in_use_exits_1_naming_the_holder(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "state")
    with socket.socket() as s:
        s.bind(("127.0.0.1", settings.kafka.port))
        s.listen()
        out = run_rta(_env(settings), "up", timeout=120)
    assert out.returncode == 1
    assert (
        f"Kafka cannot start: port {settings.kafka.port} on 127.0.0.1 is already in use by "
        f"pid {os.getpid()}"
    ) in out.stderr
    assert _ours(tmp_path / "state") == []


def test_up_with_bad_java_home_exits_1(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "state")
    env = {**_env(settings), "JAVA_HOME": str(tmp_path / "nojdk")}
    env.pop("RTA_JAVA_HOME", None)
    out = run_rta(env, "up", timeout=60)
    assert out.returncode == 1
    assert f"Java not found: {tmp_path / 'nojdk' / 'bin' / 'java'} does not exist" in out.stderr


def test_up_component_never_ready_prints_log_tail_and_exits_1(tmp_path: Path) -> None:
    state = tmp_path / "state"
    env = {**_env(_settings(state)), "RTA_KAFKA__START_TIMEOUT_S": "1"}
    out = run_rta(env, "up", timeout=300)
    assert out.returncode == 1
    assert "kafka did not become ready" in out.stderr, out.stderr[-2000:]
    assert "within 1 s" in out.stderr
    assert f"Last lines of {state / 'logs' / 'kafka.log'}" in out.stderr
    assert f"Full log: {state / 'logs' / 'kafka.log'}" in out.stderr
    assert _ours(state) == []
