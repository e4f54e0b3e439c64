"""`rta dashboard` as a process: serves /healthz with no engine up, stops on Ctrl-C,
and names a taken port instead of starting."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from rta.cli import main
from rta.dashboard.server import listen
from rta.testing import free_ports


def test_serves_without_any_engine_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    (port,) = free_ports(1)
    dead = free_ports(1)[0]  # nothing listens: every engine is "down"
    env = {
        **os.environ,
        "RTA_STATE_DIR": str(tmp_path),
        "RTA_PINOT__BROKER_URL": f"http://127.0.0.1:{dead}",
        "RTA_PINOT__CONTROLLER_URL": f"http://127.0.0.1:{dead}",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "rta", "dashboard", "--port", str(port)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "rta dashboard did not answer in 30 s"
            time.sleep(0.2)
        funnel = httpx.get(f"{url}/api/funnel", timeout=10)
        assert funnel.status_code == 503
        assert funnel.json()["error"].startswith(
            f"pinot: cannot reach the Pinot broker at http://127.0.0.1:{dead}"
        )
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert f"dashboard on {url}" in err
    assert "dashboard stopped" in err


def test_a_taken_port_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RTA_STATE_DIR", str(tmp_path))
    holder = listen("127.0.0.1", 0)
    port = holder.getsockname()[1]
    try:
        with pytest.raises(SystemExit) as exit_info:
            main(["dashboard", "--port", str(port)])
    finally:
        holder.close()
    assert exit_info.value.code != 0
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err
    assert "RTA_DASHBOARD__PORT" in err
