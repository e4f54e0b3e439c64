"""The compose init service's job, proven against real engines on this machine.

deploy/docker-compose.yml's `rta-init` runs `rta provision` with every endpoint set
(remote mode): it must start nothing, create the topics, apply the Pinot tables and
submit the Flink job. Here the session stack plays the compose services: its
pipeline job is cancelled, then `python -m rta provision` runs in a subprocess with
the init service's own environment from the compose file (endpoints pointed at the
session stack, the mounted directories at their sources in the repo) and a fresh,
empty state directory. Afterwards no process was started, the job runs again, and
events produced now come out of Pinot.

Event time: Flink's watermark only moves forward and every integration test shares
one job, so the events lie in a range from tests/support/timeline.py, later than
any other test's so far.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
import pytest
from ruamel.yaml import YAML
from tests.support.pipeline_io import (
    flush_watermark,
    millis,
    produce_lines,
    query_all,
    wait_until,
)
from tests.support.timeline import next_range_start

from rta.pipeline.jobs import FlinkRest
from rta.settings import Settings

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "deploy" / "docker-compose.yml"
USERS = 5
RESULT_TIMEOUT_S = 240


def _jvms_under(state_dir: Path) -> list[str]:
    """JVMs that belong to that state directory (rta runs each in a folder of it, with its
    config files there). Other JVMs on the machine, e.g. other stacks, do not count."""
    found = []
    for p in psutil.process_iter(["name", "cmdline", "cwd"]):
        cmd = p.info["cmdline"] or []
        if p.info["name"] != "java" and not (cmd and Path(cmd[0]).name == "java"):
            continue
        if str(state_dir) in " ".join(cmd) or str(p.info["cwd"] or "").startswith(str(state_dir)):
            found.append(f"{p.pid}: {' '.join(cmd)[:200]}")
    return found


def compose_init_env(stack: Settings, state_dir: Path) -> dict[str, str]:
    """rta-init's environment from the compose file, aimed at the session stack.

    Compose hostnames become the stack's endpoints and mount targets become the mounted
    directories in the repository; everything else is taken as the compose file says.
    """
    init = YAML(typ="safe").load(COMPOSE_FILE.read_text())["services"]["rta-init"]
    assert init["command"] == ["provision"]
    mounts = {v["target"]: (COMPOSE_FILE.parent / v["source"]).resolve() for v in init["volumes"]}
    endpoints = {
        "RTA_KAFKA__BOOTSTRAP_SERVERS": stack.kafka.bootstrap,
        "RTA_FLINK__REST_URL": stack.flink.url,
        "RTA_FLINK__GATEWAY_URL": stack.flink.gateway,
        "RTA_PINOT__CONTROLLER_URL": stack.pinot.controller,
        "RTA_PINOT__BROKER_URL": stack.pinot.broker,
    }
    env: dict[str, str] = {}
    for key, value in init["environment"].items():
        value = str(value)
        if value.startswith("${"):  # ${VAR:-default}: the default (deploy/.env agrees)
            value = value.split(":-", 1)[1].rstrip("}")
        if value in mounts:
            value = str(mounts[value])
        env[key] = endpoints.get(key, value)
    assert set(endpoints) <= set(env), "the compose init is not in remote mode"
    env["RTA_STATE_DIR"] = str(state_dir)
    # Nothing else of this process' environment: no RTA_* setting leaks in.
    return {"PATH": "/usr/bin:/bin", "HOME": str(state_dir.parent), "LANG": "C.UTF-8", **env}


def _event(user: str, at: datetime) -> bytes:
    session = str(uuid.uuid4())
    event: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "event_timestamp": at.isoformat().replace("+00:00", "Z"),
        "user_id": user,
        "session_id": session,
        "device_type": "mobile",
        "os": "Android",
        "browser": "Chrome",
        "location": "Remoteville",
        "event_type": "page_view",
        "page_url": "/remote",
        "referrer_url": "",
        "time_spent": 1.5,
    }
    return json.dumps(event).encode()


def test_compose_init_sets_up_remote_engines_and_the_pipeline_runs(
    stack: Settings, tmp_path: Path
) -> None:
    rest = FlinkRest(stack.flink.url)
    try:
        before = rest.active_job()
        assert before is not None, "the session stack runs the pipeline"
        rest.cancel(before.job_id)
        wait_until(lambda: rest.active_job() is None, 60, "the pipeline job to be cancelled")

        state_dir = tmp_path / "init-state"
        out = subprocess.run(
            [sys.executable, "-m", "rta", "provision"],
            env=compose_init_env(stack, state_dir),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert out.returncode == 0, out.stderr
        for part in ("topics:", "tables:", "pipeline:"):
            assert part in out.stderr, out.stderr
        assert "pipeline" in out.stderr and "(job " in out.stderr, out.stderr

        # Started nothing: no new JVM, no pid file, nothing in the state directory but
        # (at most) empty folders.
        assert _jvms_under(state_dir) == [], "rta provision started a JVM"
        assert [p for p in state_dir.rglob("*") if p.is_file()] == []

        # The pipeline runs again, as a new job.
        def running() -> bool:
            job = rest.active_job()
            return job is not None and job.job_id != before.job_id and job.state == "RUNNING"

        wait_until(running, 120, "the resubmitted pipeline job to run")
    finally:
        rest.close()

    # Events produced now come out of Pinot for their minute.
    start = next_range_start()
    window = start
    users = [str(uuid.uuid4()) for _ in range(USERS)]
    produce_lines(
        stack, [_event(u, window + timedelta(seconds=7 * i)) for i, u in enumerate(users)]
    )
    flush_watermark(stack, window + timedelta(minutes=3))
    sql = (
        "SELECT window_end, active_users FROM active_users_per_minute "
        f"WHERE window_start = {millis(window)}"
    )
    rows: list[dict[str, Any]] = []

    def arrived() -> bool:
        rows[:] = query_all(stack, sql)
        return bool(rows) and rows[0]["active_users"] == USERS

    started = time.monotonic()
    try:
        wait_until(arrived, RESULT_TIMEOUT_S, f"{USERS} active users in Pinot for {window}")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last rows: {rows}") from None
    assert rows == [{"window_end": millis(window + timedelta(minutes=1)), "active_users": USERS}]
    print(f"results in Pinot {time.monotonic() - started:.1f} s after the watermark flush")
