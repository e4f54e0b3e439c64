"""Start and stop the pipeline job: submit it once (reuse a running job, or resume from
the newest snapshot), and stop it with a final savepoint to resume from."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rta.layout import Layout
from rta.pipeline.gateway import GatewayError, SqlGateway, StatementResult
from rta.pipeline.jobs import FlinkRest, newest_snapshot
from rta.pipeline.plan import plan_file, with_plan
from rta.pipeline.script import render, split_statements
from rta.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    job_id: str
    action: str  # "already running", "submitted", "resumed"
    restored_from: str | None
    seconds: float


@dataclass(frozen=True)
class Stopped:
    job_id: str
    savepoint: str | None  # None: cancelled without one


def snapshot_dirs(settings: Settings) -> list[Path]:
    layout = Layout(settings.state_dir)
    return [layout.savepoints, layout.checkpoints]


def savepoint_target(settings: Settings) -> str | None:
    """Where a local cluster writes savepoints; a remote one uses its own configured dir."""
    if settings.flink.is_remote:
        return None
    return Layout(settings.state_dir).savepoints.as_uri()


def stop(settings: Settings, *, savepoint: bool = True, timeout_s: float = 120.0) -> Stopped | None:
    """Stop the running pipeline job (None if none runs), by default after a final
    savepoint, so that the next submission resumes exactly where this one stopped."""
    rest = FlinkRest(settings.flink.url)
    try:
        job = rest.active_job()
        if job is None:
            return None
        if not savepoint:
            rest.cancel(job.job_id)
            return Stopped(job.job_id, None)
        target = savepoint_target(settings)
        return Stopped(job.job_id, rest.stop_with_savepoint(job.job_id, target, timeout_s))
    finally:
        rest.close()


def submit(
    settings: Settings,
    *,
    resume: bool = True,
    from_snapshot: str | None = None,
    on_statement: Callable[[StatementResult], None] = lambda _: None,
) -> Submission:
    rest = FlinkRest(settings.flink.url)
    try:
        running = rest.active_job()
        if running is not None:
            return Submission(running.job_id, "already running", None, 0.0)
        restore = from_snapshot
        if restore is None and resume:
            restore = _previous_snapshot(rest, settings)
    finally:
        rest.close()
    properties = {}
    if restore:
        properties["execution.savepoint.path"] = restore
        # A changed query may drop an operator; its old state is then discarded, not fatal.
        properties["execution.savepoint.ignore-unclaimed-state"] = "true"
    statements = split_statements(render(settings))
    plan = plan_file(settings, statements)
    gateway = SqlGateway(settings.flink.gateway)
    try:
        if plan is None:
            results = gateway.run_script(statements, properties, on_statement=on_statement)
        else:
            try:
                results = gateway.run_script(
                    with_plan(statements, plan), properties, on_statement=on_statement
                )
            except GatewayError as exc:
                # A plan this Flink cannot use (a file cut short, a connector that
                # changed under the same SQL) must not stop the job: plan the SQL. A
                # fault of the SQL itself fails again below, with its own message.
                log.warning("the compiled plan %s failed (%s); planning the SQL", plan, exc)
                plan.unlink(missing_ok=True)
                results = gateway.run_script(statements, properties, on_statement=on_statement)
    finally:
        gateway.close()
    job_id = next((r.job_id for r in reversed(results) if r.job_id), None)
    if job_id is None:
        raise GatewayError("the pipeline script ran but started no job")
    return Submission(
        job_id,
        "resumed" if restore else "submitted",
        restore,
        sum(r.seconds for r in results),
    )


def _previous_snapshot(rest: FlinkRest, settings: Settings) -> str | None:
    # A cluster that still remembers the last run knows its newest checkpoint; after a
    # cluster restart only the retained snapshots on disk are left (local stack only).
    for job in rest.jobs():
        path = rest.latest_checkpoint_path(job.job_id)
        if path:
            return path
    if settings.flink.is_remote:
        return None
    return newest_snapshot(*snapshot_dirs(settings))
