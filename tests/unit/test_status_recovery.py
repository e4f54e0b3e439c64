"""`rta status` while the stack recovers: Flink's HTTP 500/503 answers and the watch's
restart records said in words, never as a raw body. Flink REST through httpx's
MockTransport; no JVM."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console

from rta import health
from rta.commands import status as status_cmd
from rta.health import CollectorHealth, FlinkHealth, KafkaHealth, PinotTableHealth
from rta.layout import Layout
from rta.pipeline import jobs
from rta.restarts import RestartLog, RestartRecord
from rta.settings import Settings
from rta.stack.supervisor import ProcessStatus

JOB = "3f2a"
BOOTING_BODY = {"errors": ["Internal server error.", "<Exception on server side: java...>"]}


def _job(state: str) -> dict[str, Any]:
    return {"jid": JOB, "name": "rta-pipeline", "state": state, "start-time": 1, "duration": 75_000}


def _flink(monkeypatch: pytest.MonkeyPatch, routes: dict[str, tuple[int, Any]]) -> list[str]:
    """Flink's REST API answering `routes` (path -> status, body); returns the paths asked."""
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        asked.append(path)
        status, body = routes.get(path, (404, {"errors": ["Not found."]}))
        return httpx.Response(status, json=body)

    transport = httpx.MockTransport(handler)
    monkeypatch.setattr(jobs, "FlinkRest", partial(jobs.FlinkRest, transport=transport))
    monkeypatch.setattr(health, "_counts", lambda s, t: None)  # Kafka: not here
    return asked


def _probe() -> FlinkHealth:
    return health.flink_health(Settings())


@pytest.mark.parametrize("status", [500, 503])
def test_a_booting_jobmanager_is_said_in_words(
    monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    _flink(monkeypatch, {"/jobs/overview": (status, BOOTING_BODY)})
    h = _probe()
    assert (h.recovery, h.error, h.healthy) == ("JobManager starting", None, False)


def test_a_refusal_that_is_not_a_boot_is_still_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    _flink(monkeypatch, {"/jobs/overview": (401, {"errors": ["Unauthorized"]})})
    h = _probe()
    assert h.recovery is None and h.error is not None and "HTTP 401" in h.error


@pytest.mark.parametrize(
    ("state", "words"),
    [
        ("INITIALIZING", "restoring from checkpoint"),
        ("CREATED", "restoring from checkpoint"),
        ("RESTARTING", "restarting"),
        ("RECONCILING", "JobManager starting"),
    ],
)
def test_a_recovering_job_state_is_said_in_words(
    monkeypatch: pytest.MonkeyPatch, state: str, words: str
) -> None:
    asked = _flink(monkeypatch, {"/jobs/overview": (200, {"jobs": [_job(state)]})})
    h = _probe()
    assert (h.job_id, h.state, h.recovery, h.uptime_s) == (JOB, state, words, 75.0)
    assert asked == ["/jobs/overview"]  # nothing asked that would answer 500 now


def test_tasks_restoring_their_state_are_said_in_words(monkeypatch: pytest.MonkeyPatch) -> None:
    vertices = [{"id": "v1", "status": "RUNNING"}, {"id": "v2", "status": "INITIALIZING"}]
    asked = _flink(
        monkeypatch,
        {
            "/jobs/overview": (200, {"jobs": [_job("RUNNING")]}),
            f"/jobs/{JOB}": (200, {"vertices": vertices}),
            f"/jobs/{JOB}/checkpoints": (500, BOOTING_BODY),
        },
    )
    h = _probe()
    assert (h.state, h.recovery, h.error, h.last_checkpoint_age_s) == (
        "RUNNING",
        "restoring from checkpoint",
        None,
        None,
    )
    assert not any("subtasks" in p for p in asked)  # no rate of a source still restoring


def test_a_job_that_answers_500_for_its_details_is_restoring(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _flink(
        monkeypatch,
        {
            "/jobs/overview": (200, {"jobs": [_job("RUNNING")]}),
            f"/jobs/{JOB}": (500, BOOTING_BODY),
        },
    )
    h = _probe()
    assert (h.recovery, h.error) == ("restoring from checkpoint", None)


def test_a_running_job_without_checkpoint_or_rate_answers_is_still_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _flink(
        monkeypatch,
        {
            "/jobs/overview": (200, {"jobs": [_job("RUNNING")]}),
            f"/jobs/{JOB}": (200, {"vertices": [{"id": "v1", "status": "RUNNING"}]}),
            f"/jobs/{JOB}/vertices/v1/subtasks/metrics": (500, BOOTING_BODY),
            f"/jobs/{JOB}/checkpoints": (500, BOOTING_BODY),
        },
    )
    h = _probe()
    assert h.healthy and (h.records_per_s, h.last_checkpoint_age_s, h.error) == (None, None, None)


def test_a_running_job_is_healthy(monkeypatch: pytest.MonkeyPatch) -> None:
    now_ms = time.time() * 1000
    _flink(
        monkeypatch,
        {
            "/jobs/overview": (200, {"jobs": [_job("RUNNING")]}),
            f"/jobs/{JOB}": (200, {"vertices": [{"id": "v1", "status": "RUNNING"}]}),
            f"/jobs/{JOB}/vertices/v1/subtasks/metrics": (
                200,
                [{"id": "numRecordsOutPerSecond", "sum": 950.0}],
            ),
            f"/jobs/{JOB}/checkpoints": (
                200,
                {"latest": {"completed": {"latest_ack_timestamp": now_ms - 4000}}},
            ),
        },
    )
    h = _probe()
    assert h.healthy and h.records_per_s == 950.0
    assert h.last_checkpoint_age_s == pytest.approx(4.0, abs=1.0)


# --- gather: the watch's restart records -----------------------------------------------


def _probes(monkeypatch: pytest.MonkeyPatch, flink: FlinkHealth) -> list[str]:
    probed: list[str] = []

    def probe(name: str, result: Any) -> Callable[..., Any]:
        def run(*a: Any) -> Any:
            probed.append(name)
            return result

        return run

    kafka = KafkaHealth("raw_events", None, error="no answer from 127.0.0.1:9092")
    monkeypatch.setattr(health, "kafka_health", probe("kafka", kafka))
    monkeypatch.setattr(health, "flink_health", probe("flink", flink))
    monkeypatch.setattr(health, "pinot_health", probe("pinot", []))
    monkeypatch.setattr(health, "collector_health", probe("collector", CollectorHealth("http://c")))
    return probed


def test_a_component_being_restarted_is_not_probed_but_said_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    probed = _probes(monkeypatch, FlinkHealth(JOB, "RESTARTING", recovery="restarting"))
    log = RestartLog(Layout(tmp_path).restarts)
    log.write(RestartRecord("kafka", 2, "kafka exited with code 137", 1000.0))
    log.write(RestartRecord("pinot", 1, "pinot is not running", 1000.0, "back"))
    h = health.gather(Settings(state_dir=tmp_path), now=lambda: 1030.0)
    assert "kafka" not in probed and "flink" in probed
    assert h.kafka.error == "restarting (restart 2)"
    # The job restarts because its source cannot reach the broker.
    assert h.flink.recovery == "waiting for Kafka"
    assert set(h.restarts) == {"kafka", "pinot"} and not h.ok


def test_a_restarting_flink_is_recovering_not_failed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    probed = _probes(monkeypatch, FlinkHealth(JOB, "RUNNING"))
    RestartLog(Layout(tmp_path).restarts).write(
        RestartRecord("flink", 1, "flink-jobmanager exited with code 1", 1000.0)
    )
    h = health.gather(Settings(state_dir=tmp_path), now=lambda: 1030.0)
    assert "flink" not in probed
    assert (h.flink.recovery, h.flink.error) == ("restarting (restart 1)", None)


def test_a_stale_restarting_record_is_probed_as_usual(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    probed = _probes(monkeypatch, FlinkHealth(JOB, "RUNNING"))
    RestartLog(Layout(tmp_path).restarts).write(
        RestartRecord("kafka", 1, "kafka is not running", 1000.0)
    )
    health.gather(Settings(state_dir=tmp_path), now=lambda: 1000.0 + 3600)
    assert "kafka" in probed


# --- what rta status prints ------------------------------------------------------------


def _report(tmp_path: Path) -> status_cmd.StatusReport:
    at = time.mktime((2030, 1, 1, 14, 3, 7, 0, 0, -1))
    restarts = {
        "collector": RestartRecord("collector", 1, "collector exited with code 1", at, "back"),
        "pinot": RestartRecord("pinot", 2, "pinot is not running", time.time()),
    }
    procs = [
        ProcessStatus("pinot", "pinot", "stopped", None, (9000,), None, None),
        ProcessStatus("collector", "collector", "running", 7, (8000,), 5.0, 60.0),
        ProcessStatus("watchdog", "watchdog", "running", 8, (), 50.0, 30.0),
    ]
    h = health.Health(
        KafkaHealth("raw_events", 10, 4),
        FlinkHealth(JOB, "RUNNING", recovery="restoring from checkpoint"),
        [PinotTableHealth("raw_events", None, error="restarting (restart 2)")],
        None,
        restarts,
    )
    return status_cmd.StatusReport(procs, h, {})


def test_the_table_shows_restarts_and_recovery_in_words(tmp_path: Path) -> None:
    console = Console(width=250, record=True)
    console.print(status_cmd.table(_report(tmp_path)))
    out = console.export_text()
    assert "restarts: 1, last: collector exited with code 1 at 14:03:07" in out
    assert "restarting (restart 2)" in out  # pinot's process row, and its tables
    assert "restoring from checkpoint, job 3f2a" in out
    assert "watchdog" in out
    assert "HTTP" not in out and "Exception" not in out


def test_the_json_has_restarts_and_recovery(tmp_path: Path) -> None:
    data = json.loads(status_cmd.as_json(_report(tmp_path)))
    assert data["ok"] is False
    assert data["health"]["restarts"]["collector"]["count"] == 1
    assert data["health"]["restarts"]["collector"]["last_reason"] == "collector exited with code 1"
    assert data["health"]["flink"]["recovery"] == "restoring from checkpoint"
    assert data["processes"][2]["component"] == "watchdog"
