from __future__ import annotations

from typing import Annotated

import typer
from confluent_kafka import KafkaException
from rich.console import Console
from rich.table import Table

from rta.pipeline.counts import read_counts
from rta.pipeline.gateway import GatewayError
from rta.pipeline.jobs import FlinkRest, FlinkRestError
from rta.pipeline.script import render
from rta.pipeline.submit import stop
from rta.pipeline.submit import submit as submit_pipeline
from rta.settings import Settings

app = typer.Typer(
    help="The Flink SQL job: the seed's three analytics in one statement set.",
    no_args_is_help=True,
)
err = Console(stderr=True)


@app.command("submit")
def submit(
    ctx: typer.Context,
    fresh: Annotated[
        bool,
        typer.Option("--fresh", help="Start from the committed Kafka offsets, not a snapshot."),
    ] = False,
    from_snapshot: Annotated[
        str | None,
        typer.Option("--from", help="Resume from this savepoint/checkpoint path (file://...)."),
    ] = None,
) -> None:
    """Submit the pipeline to Flink (RTA_FLINK__REST_URL / RTA_FLINK__GATEWAY_URL for a
    remote cluster). Idempotent: a running pipeline is left alone. Without --fresh, the
    job resumes from the newest checkpoint or savepoint."""
    settings: Settings = ctx.obj
    try:
        with err.status("submitting the pipeline...") as spinner:
            sub = submit_pipeline(
                settings,
                resume=not fresh,
                from_snapshot=from_snapshot,
                on_statement=lambda r: spinner.update(
                    f"{' '.join(r.statement.split())[:60]}... ({r.seconds:.1f} s)"
                ),
            )
    except (GatewayError, FlinkRestError) as exc:
        err.print(f"[red]rta pipeline submit: {exc}[/red]", highlight=False)
        raise typer.Exit(1) from None
    extra = f" from {sub.restored_from}" if sub.restored_from else ""
    err.print(f"pipeline {sub.action}{extra}: job {sub.job_id} ({sub.seconds:.1f} s)")
    typer.echo(sub.job_id)


@app.command("status")
def status(ctx: typer.Context) -> None:
    """Show the pipeline job's state and records read/written per operator."""
    settings: Settings = ctx.obj
    rest = FlinkRest(settings.flink.url)
    try:
        jobs = rest.jobs()
        if not jobs:
            err.print("no pipeline job on this cluster; run `rta pipeline submit`")
            raise typer.Exit(3)
        job = jobs[0]
        detail = rest.job(job.job_id)
    except FlinkRestError as exc:
        err.print(f"[red]rta pipeline status: {exc}[/red]", highlight=False)
        raise typer.Exit(1) from None
    finally:
        rest.close()
    Console().print(f"job {job.job_id} [bold]{job.state}[/bold], up {job.duration_ms / 1000:.0f} s")
    table = Table("operator", "parallelism", "records in", "records out")
    for v in detail.get("vertices", []):
        m = v.get("metrics", {})
        table.add_row(
            v["name"][:70],
            str(v["parallelism"]),
            str(m.get("read-records", 0)),
            str(m.get("write-records", 0)),
        )
    Console().print(table)
    _print_counts(settings)
    if not job.active:
        raise typer.Exit(3)


def _print_counts(settings: Settings) -> None:
    """What the job did with its input: its own totals, kept in its checkpointed state."""
    try:
        c = read_counts(settings)
    except KafkaException as exc:
        err.print(f"[yellow]input totals unavailable: {exc}[/yellow]", highlight=False)
        return
    Console().print(
        f"input: {c.read:,} records read; {c.rejected_total:,} rejected "
        f"(dead letters in {settings.kafka.dlq_topic}); {c.duplicates:,} duplicates; "
        f"{c.late:,} later than the allowed lateness (in {settings.kafka.late_topic}); "
        f"{c.on_time:,} counted in windows; {c.passed_on:,} counted in sessions"
    )
    if c.rejected:
        table = Table("rejected because", "records")
        for reason, n in sorted(c.rejected.items(), key=lambda item: -item[1]):
            table.add_row(reason, f"{n:,}")
        Console().print(table)


@app.command("cancel")
def cancel(
    ctx: typer.Context,
    savepoint: Annotated[
        bool, typer.Option(help="Take a final savepoint first (resumable).")
    ] = True,
) -> None:
    """Stop the running pipeline job, by default with a savepoint to resume from."""
    settings: Settings = ctx.obj
    try:
        stopped = stop(settings, savepoint=savepoint)
    except FlinkRestError as exc:
        err.print(f"[red]rta pipeline cancel: {exc}[/red]", highlight=False)
        raise typer.Exit(1) from None
    if stopped is None:
        err.print("no running pipeline job")
    elif stopped.savepoint:
        err.print(f"stopped {stopped.job_id} with savepoint {stopped.savepoint}")
    else:
        err.print(f"cancelled {stopped.job_id}")


@app.command("sql")
def show_sql(ctx: typer.Context) -> None:
    """Print the SQL script exactly as it would be submitted (placeholders filled)."""
    typer.echo(render(ctx.obj))
