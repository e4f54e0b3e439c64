"""`rta status`: one table of every component's processes and of the pipeline's health."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rta.health import Health, gather
from rta.restarts import STOPPED_STACK, RestartRecord
from rta.settings import Settings
from rta.stack import StackError, supervisor
from rta.stack.supervisor import ProcessStatus

err = Console(stderr=True, highlight=False, soft_wrap=True)


@dataclass(frozen=True)
class StatusReport:
    processes: list[ProcessStatus]
    health: Health
    remote: dict[str, str]  # component -> URL of the remote service it points at

    @property
    def total_rss_mb(self) -> float:
        return sum(p.rss_mb or 0.0 for p in self.processes)

    @property
    def ok(self) -> bool:
        return all(p.state == "running" for p in self.processes) and self.health.ok


def remote_services(settings: Settings) -> dict[str, str]:
    out: dict[str, str] = {}
    if settings.kafka.is_remote:
        out["kafka"] = settings.kafka.bootstrap
    if settings.flink.is_remote:
        out["flink"] = settings.flink.url
    if settings.pinot.is_remote:
        out["pinot"] = settings.pinot.controller
    if settings.collector.is_remote:
        out["collector"] = settings.collector.endpoint
    return out


def collect(settings: Settings) -> StatusReport:
    """Process rows from the supervisor, plus the health probes of the engines that run
    (a local component whose processes are all stopped is reported, not probed)."""
    procs = supervisor.status(settings)
    components = {p.component for p in procs}
    running = {p.component for p in procs if p.state == "running"}
    skip = frozenset(components - running)
    return StatusReport(procs, gather(settings, skip=skip), remote_services(settings))


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < -60:
        return "in the future (simulated event time)"
    if seconds < 0:
        return "0 s ago"
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


def _state(ok: bool, text: str) -> str:
    return f"[green]{escape(text)}[/green]" if ok else f"[red]{escape(text)}[/red]"


def _waiting(text: str) -> str:
    return f"[yellow]{escape(text)}[/yellow]"


def restarts_text(rec: RestartRecord) -> str:
    """'restarts: 2, last: collector exited with code 1 at 14:03:07' (local time)."""
    at = time.strftime("%H:%M:%S", time.localtime(rec.at))
    text = f"restarts: {rec.count}, last: {rec.last_reason} at {at}"
    if rec.state == STOPPED_STACK:
        text = f"stopped the stack: {rec.last_reason} at {at}"
    return text


def table(report: StatusReport, now: float | None = None) -> Table:
    t = Table("component", "state", "pid", "ports", "uptime", "memory", "detail")
    now = time.time() if now is None else now
    restarts = report.health.restarts
    shown: set[str] = set()
    for r in report.processes:
        # The ports and restarts belong to the component: shown once, on its first process.
        first = r.component not in shown
        shown.add(r.component)
        rec = restarts.get(r.component)
        state = _state(r.state == "running", r.state)
        if r.state != "running" and rec is not None and rec.restarting(now):
            state = _waiting(f"restarting (restart {rec.count})")
        t.add_row(
            r.process,
            state,
            str(r.pid or "-"),
            ",".join(map(str, r.ports)) if first else "",
            f"{r.uptime_s:.0f} s" if r.uptime_s is not None else "-",
            f"{r.rss_mb:,.0f} MB" if r.rss_mb is not None else "-",
            escape(restarts_text(rec)) if first and rec is not None else "",
        )
    for component, url in report.remote.items():
        t.add_row(component, "[cyan]remote[/cyan]", "", "", "", "", escape(url))
    t.add_section()
    h = report.health
    k = h.kafka
    t.add_row(
        f"kafka {k.topic}",
        _state(k.error is None, "ok" if k.error is None else "error"),
        *[""] * 4,
        escape(k.error) if k.error else f"{k.events:,} events in {k.partitions} partitions",
    )
    f = h.flink
    if f.error:
        detail = escape(f.error)
    elif f.recovery is not None:
        detail = escape(f.recovery + (f", job {f.job_id}" if f.job_id else ""))
    elif f.state is None:
        detail = "no pipeline job on the cluster (rta pipeline submit)"
    else:
        bits = [f"job {f.job_id}"]
        if f.records_per_s is not None:
            bits.append(f"{f.records_per_s:,.0f} records/s")
        if f.counts is not None:
            c = f.counts
            bits.append(
                f"{c.read:,} read, {c.rejected_total:,} rejected, {c.duplicates:,} duplicates, "
                f"{c.late:,} late, {c.passed_on:,} passed on"
            )
        if f.last_checkpoint_age_s is not None:
            bits.append(f"checkpoint {_age(f.last_checkpoint_age_s)}")
        detail = ", ".join(bits)
    t.add_row(
        "flink pipeline job",
        _waiting(f.state or "recovering")
        if f.recovery is not None
        else _state(f.running, f.state or ("error" if f.error else "none")),
        *[""] * 4,
        detail,
    )
    for p in h.pinot:
        t.add_row(
            f"pinot {p.table}",
            _state(p.error is None, "ok" if p.error is None else "error"),
            *[""] * 4,
            escape(p.error) if p.error else f"{p.rows:,} rows, newest {_age(p.newest_age_s)}",
        )
    col = h.collector
    if col is not None:
        t.add_row(
            "collector",
            _state(col.error is None, "ok" if col.error is None else "error"),
            *[""] * 4,
            escape(col.error)
            if col.error
            else f"{col.url}: {col.accepted or 0:,} events accepted, {col.rejected_total:,} "
            f"rejected, {col.refused_total:,} requests refused",
        )
    t.add_section()
    t.add_row(
        "total",
        _state(report.ok, "healthy" if report.ok else "degraded"),
        "",
        "",
        "",
        f"{report.total_rss_mb:,.0f} MB",
        "",
    )
    return t


def as_json(report: StatusReport) -> str:
    return json.dumps(
        {
            "ok": report.ok,
            "total_rss_mb": round(report.total_rss_mb, 1),
            "processes": [asdict(p) for p in report.processes],
            "remote": report.remote,
            "health": asdict(report.health),
        },
        indent=2,
    )


def status(
    ctx: typer.Context,
    as_json_: Annotated[
        bool,
        typer.Option("--json", help="Print the report as JSON (for scripts) (no env var)."),
    ] = False,
) -> None:
    """Show every component and the pipeline's health in one table.

    Per process: state, pid, ports, uptime, memory, and how often the watch restarted
    it (count, last reason and time). Pipeline: events in raw_events,
    the Flink job's state and records/s, Pinot row counts and the age of each
    table's newest row, and the collector's accepted and rejected events. While a
    component restarts or the job restores, says so in words ("restarting (restart
    2)", "restoring from checkpoint", "JobManager starting", "waiting for Kafka").

    Exit code 0 when everything runs and answers, 3 when something is stopped or
    unhealthy, 1 on an error. Reads the stack of RTA_STATE_DIR (and remote services
    from RTA_KAFKA__BOOTSTRAP_SERVERS, RTA_FLINK__REST_URL, RTA_PINOT__CONTROLLER_URL).
    """
    settings: Settings = ctx.obj
    try:
        report = collect(settings)
    except StackError as exc:
        err.print(f"[red]rta status: {escape(str(exc))}[/red]")
        raise typer.Exit(1) from None
    if as_json_:
        typer.echo(as_json(report))
    else:
        Console().print(table(report))
    if not report.ok:
        raise typer.Exit(3)
