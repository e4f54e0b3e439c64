"""Flink's REST API for the pipeline job: find it, inspect it, stop it, resume it."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rta.errors import ServiceError
from rta.http import JsonClient
from rta.pipeline.script import JOB_NAME

ACTIVE_STATES = {"CREATED", "INITIALIZING", "RUNNING", "RESTARTING", "RECONCILING"}


class FlinkRestError(ServiceError):
    """Flink's REST API refused a request or could not be reached."""


_SPLIT_WATERMARK = re.compile(r"^\d+\.Source__[^.]+\.split\.([^.]+)\.watermark\.currentWatermark$")


@dataclass(frozen=True)
class JobInfo:
    job_id: str
    name: str
    state: str
    start_time_ms: int
    duration_ms: int

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES


class FlinkRest(JsonClient):
    service = "Flink's REST API"
    error = FlinkRestError

    def jobs_overview(self) -> list[dict[str, Any]]:
        """Every job the cluster knows, whatever its name, as Flink describes it."""
        return list(self.request("GET", "/jobs/overview").get("jobs", []))

    def jobs(self, name: str = JOB_NAME) -> list[JobInfo]:
        """Jobs of that name, newest first."""
        jobs = [
            JobInfo(j["jid"], j["name"], j["state"], j["start-time"], j["duration"])
            for j in self.jobs_overview()
            if j["name"] == name
        ]
        return sorted(jobs, key=lambda j: j.start_time_ms, reverse=True)

    def active_job(self, name: str = JOB_NAME) -> JobInfo | None:
        return next((j for j in self.jobs(name) if j.active), None)

    def job(self, job_id: str) -> dict[str, Any]:
        return self.request("GET", f"/jobs/{job_id}")  # type: ignore[no-any-return]

    def checkpoints(self, job_id: str) -> dict[str, Any]:
        return self.request("GET", f"/jobs/{job_id}/checkpoints")  # type: ignore[no-any-return]

    def latest_checkpoint_path(self, job_id: str) -> str | None:
        latest = self.checkpoints(job_id).get("latest") or {}
        for kind in ("savepoint", "completed"):
            entry = latest.get(kind) or {}
            if entry.get("external_path"):
                return str(entry["external_path"])
        return None

    def cancel(self, job_id: str) -> None:
        self.request("PATCH", f"/jobs/{job_id}?mode=cancel")

    def stop_with_savepoint(self, job_id: str, target_dir: str | None, timeout_s: float) -> str:
        """Stop the job after a final savepoint; return its path."""
        body: dict[str, Any] = {"drain": False, "formatType": "CANONICAL"}
        if target_dir:
            body["targetDirectory"] = target_dir
        request_id = self.request("POST", f"/jobs/{job_id}/stop", json=body)["request-id"]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            r = self.request("GET", f"/jobs/{job_id}/savepoints/{request_id}")
            if r.get("status", {}).get("id") == "COMPLETED":
                op = r.get("operation") or {}
                if "failure-cause" in op:
                    cause = op["failure-cause"].get("stack-trace", "")[:300]
                    raise FlinkRestError(f"savepoint failed: {cause}")
                return str(op["location"])
            time.sleep(0.5)
        raise FlinkRestError(f"stop-with-savepoint of {job_id} did not finish in {timeout_s:.0f} s")

    def vertex_watermark(self, job_id: str, vertex_id: str) -> int | None:
        """Lowest output watermark over the vertex's subtasks (None before the first)."""
        wms = self.request("GET", f"/jobs/{job_id}/vertices/{vertex_id}/watermarks")
        values = [int(w["value"]) for w in wms if w["value"].lstrip("-").isdigit()]
        low = min(values) if values else None
        return low if low is not None and low > -(2**62) else None

    def split_watermarks(self, job_id: str) -> dict[str, int]:
        """The source's per-partition watermarks (Kafka split name -> epoch ms)."""
        vertex = self.vertex_metrics(job_id)[0]
        path = f"/jobs/{job_id}/vertices/{vertex['id']}/metrics"
        names = [m["id"] for m in self.request("GET", path) if _SPLIT_WATERMARK.match(m["id"])]
        if not names:
            return {}
        values = self.request("GET", f"{path}?get={','.join(names)}")
        return {
            _SPLIT_WATERMARK.match(m["id"]).group(1): int(float(m["value"]))  # type: ignore[union-attr]
            for m in values
        }

    def records_out_per_second(self, job_id: str, vertex_id: str) -> float | None:
        """A vertex's output rate, summed over its subtasks."""
        agg = self.subtask_metrics(job_id, vertex_id, ["numRecordsOutPerSecond"], agg="sum")
        return next((float(m["sum"]) for m in agg if m.get("id") == "numRecordsOutPerSecond"), None)

    def subtask_metrics(
        self, job_id: str, vertex_id: str, names: list[str], agg: str | None = None
    ) -> list[dict[str, Any]]:
        """A vertex's metrics aggregated over its subtasks: [{"id", "min", "max", "avg",
        "sum"}], or only the `agg` ones ("sum", "avg", ...)."""
        # Written out, not passed as params: httpx would escape the commas in `get`.
        query = f"get={','.join(names)}" + (f"&agg={agg}" if agg else "")
        return list(
            self.request("GET", f"/jobs/{job_id}/vertices/{vertex_id}/subtasks/metrics?{query}")
        )

    def vertex_metrics(self, job_id: str) -> list[dict[str, Any]]:
        """Per-vertex records in/out (read-records / write-records) of a job."""
        return list(self.job(job_id).get("vertices", []))


def newest_snapshot(*dirs: Path) -> str | None:
    """The newest retained checkpoint or savepoint (a directory with _metadata)."""
    found = [m for d in dirs if d.is_dir() for m in d.glob("**/_metadata")]
    if not found:
        return None
    newest = max(found, key=lambda p: p.stat().st_mtime)
    return newest.parent.resolve().as_uri()
