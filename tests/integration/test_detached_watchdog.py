"""A detached stack is watched: `rta up --detach` leaves a watchdog that restarts a killed
collector, `rta status` shows the restart, and `rta down` stops the watchdog first.

A stack of its own on free ports (like test_lifecycle.py), driven through the real CLI.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from tests.integration.test_lifecycle import _env, _ours, _settings, _status, _wait_for
from tests.support.cli import run_rta

pytestmark = pytest.mark.integration


def test_detached_stack_restarts_a_killed_collector(tmp_path: Path) -> None:
    state = tmp_path / "state"
    env = {**_env(_settings(state)), "RTA_WATCH__INTERVAL_S": "2"}
    up = run_rta(env, "up", "--detach", timeout=400)
    try:
        assert up.returncode == 0, up.stderr[-3000:]
        assert "watchdog (pid" in up.stderr
        first = _wait_for("a healthy stack", lambda: (r := _status(env))["ok"] and r, 120)
        by_component = {p["component"]: p for p in first["processes"]}
        assert by_component["watchdog"]["state"] == "running"

        os.kill(by_component["collector"]["pid"], signal.SIGKILL)
        back = _wait_for(
            "the watchdog to restart the collector",
            lambda: (
                (r := _status(env))["ok"]
                and r["health"]["restarts"].get("collector", {}).get("state") == "back"
                and r
            ),
            timeout_s=90,
        )
        record = back["health"]["restarts"]["collector"]
        assert record["count"] == 1 and "collector" in record["last_reason"]
        table = run_rta(env, "status", timeout=60).stdout
        assert "restarts: 1, last: collector" in " ".join(table.split())
        log = (state / "logs" / "watchdog.log").read_text()
        assert "restarting collector (restart 1)" in log and "collector is back after" in log
    finally:
        down = run_rta(env, "down", timeout=400)
    assert down.returncode == 0, down.stderr
    assert down.stderr.index("stopping the watchdog") < down.stderr.index("collector:")
    assert _ours(state) == []
