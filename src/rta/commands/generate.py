"""`rta generate`: parse options, call rta.generator.generate, print the summary."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rta.generator import (
    Chaos,
    GenerateOptions,
    KafkaUnavailableError,
    SinkError,
    SinkKind,
    parse_start,
)
from rta.generator import generate as run_generate
from rta.generator.api import collector_url, generator_config
from rta.generator.model import summarise
from rta.generator.progress import ProgressDisplay
from rta.generator.traffic import Traffic, TrafficShape
from rta.settings import Settings
from rta.signals import StopSignals

err = Console(stderr=True, highlight=False, soft_wrap=True)


def generate(
    ctx: typer.Context,
    sink: Annotated[
        SinkKind,
        typer.Option(
            help="Where events go: kafka (topic raw_events, keyed by session_id), "
            "http (NDJSON batches to an rta collector, see --url and --key), "
            "file (JSON lines at --output) or stdout (JSON lines, nothing else)."
        ),
    ] = SinkKind.kafka,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write with --sink file (truncated)."),
    ] = None,
    topic: Annotated[
        str | None,
        typer.Option(help="Kafka topic (default: env RTA_KAFKA__RAW_TOPIC, else raw_events)."),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(
            help="Collector base URL for --sink http (default: env RTA_COLLECTOR__URL, "
            "else http://RTA_COLLECTOR__HOST:RTA_COLLECTOR__PORT, 127.0.0.1:8000)."
        ),
    ] = None,
    key: Annotated[
        str | None,
        typer.Option(
            help="Write key for --sink http (default: env RTA_COLLECTOR__KEY, which is "
            "better: a command line is visible to other users of the machine)."
        ),
    ] = None,
    count: Annotated[
        int | None,
        typer.Option("--count", "-n", min=0, help="Stop after this many records."),
    ] = None,
    duration: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            help="Stop after this many seconds of event time (wall time, or simulated "
            "time with --start). Without --count/--duration: run until Ctrl-C.",
        ),
    ] = None,
    rate: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            help="Records per second, 0 = as fast as possible "
            "(default: env RTA_GENERATOR__RATE, else 1000).",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            help="Seed of users, products and sessions; the same seed and --start give "
            "byte-identical output (default: env RTA_GENERATOR__SEED, else random, printed).",
        ),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            help="Simulated event time starting here (ISO-8601 with offset, e.g. "
            "2026-01-01T00:00:00Z): each record advances it by speedup/rate seconds "
            "(rate 0: by 1/RTA_GENERATOR__RATE), independent of the wall clock. "
            "Default: stamp events with the current time.",
        ),
    ] = None,
    speedup: Annotated[
        float,
        typer.Option(min=0.0, help="With --start: simulated seconds per real second."),
    ] = 1.0,
    users: Annotated[
        int | None,
        typer.Option(
            min=1, help="Users simulated (default: env RTA_GENERATOR__USERS, else 1000000)."
        ),
    ] = None,
    products: Annotated[
        int | None,
        typer.Option(
            min=1, help="Catalogue size (default: env RTA_GENERATOR__PRODUCTS, else 200)."
        ),
    ] = None,
    think_median: Annotated[
        float,
        typer.Option(
            min=0.001,
            help="Median seconds between two events of a visit (log-normal think time); "
            "with the rate it sets how many visits are in progress at once.",
        ),
    ] = Traffic().think_median_s,
    daily: Annotated[
        bool,
        typer.Option(
            "--daily",
            help="With --start: follow a daily curve, quiet nights and busy evenings (UTC), "
            "averaging the rate.",
        ),
    ] = False,
    burst_at: Annotated[
        str | None,
        typer.Option(
            help="With --start: a burst (a campaign) from this ISO-8601 time on, "
            "--burst-factor times the rate for --burst-minutes.",
        ),
    ] = None,
    burst_minutes: Annotated[
        float, typer.Option(min=0.001, help="How long the burst lasts.")
    ] = 30.0,
    burst_factor: Annotated[
        float, typer.Option(min=0.001, help="The rate during the burst, x.")
    ] = 3.0,
    describe: Annotated[
        bool,
        typer.Option(
            "--describe",
            help="Print the traffic model (funnel, think times, population) and the rates "
            "it implies at --rate, then exit without generating.",
        ),
    ] = False,
    late_fraction: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Fraction of events sent late: after newer ones, their timestamp behind "
            "the clock by up to --late-max seconds.",
        ),
    ] = 0.0,
    late_max: Annotated[
        float, typer.Option(min=0.001, help="How far behind a late event may be, seconds.")
    ] = 5.0,
    duplicate_fraction: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Fraction of extra records that re-send a sent event exactly (same event_id).",
        ),
    ] = 0.0,
    invalid_fraction: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Fraction of extra records that break the contract (broken JSON, missing "
            "field, naive timestamp, bad UUID, wrong event_type, negative price). They are "
            "sent as they are, to Kafka too, to test how the pipeline copes.",
        ),
    ] = 0.0,
    tz_mix: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Fraction of events whose timestamp uses +02:00, -05:00 or +05:30 (some "
            "with microseconds) instead of Z; the instant is the same.",
        ),
    ] = 0.0,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress display, only the summary.")
    ] = False,
) -> None:
    """Generate realistic shop events (page_view -> product_view -> add_to_cart -> purchase).

    Progress and the summary go to stderr; with --sink stdout, stdout carries
    nothing but JSON lines. Ctrl-C stops cleanly: buffered records are
    delivered and the summary printed.
    """
    settings: Settings = ctx.obj
    try:
        options = GenerateOptions(
            sink=sink,
            output=output,
            topic=topic,
            url=url,
            key=key,
            count=count,
            duration_s=duration,
            rate=rate,
            seed=seed,
            start=start,
            speedup=speedup,
            users=users,
            products=products,
            traffic=Traffic(think_median_s=think_median),
            shape=TrafficShape(
                daily=daily,
                burst_at_ms=parse_start(burst_at) if burst_at else None,
                burst_minutes=burst_minutes,
                burst_factor=burst_factor,
            ),
            chaos=Chaos(
                late_fraction=late_fraction,
                late_max_ms=max(1, round(late_max * 1000)),
                duplicate_fraction=duplicate_fraction,
                invalid_fraction=invalid_fraction,
                tz_mix=tz_mix,
            ),
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    if describe:
        Console().print(model_table(settings, options))
        return
    progress = ProgressDisplay("generating", count, enabled=None if not quiet else False)
    try:
        # Ctrl-C: the generator stops after its batch, flushes and summarises.
        with StopSignals() as signals:
            summary = run_generate(settings, options, stop=signals.stop, progress=progress)
    except (KafkaUnavailableError, SinkError) as exc:
        err.print(f"[red]rta generate: {escape(str(exc))}[/red]")
        raise typer.Exit(1) from None
    except BrokenPipeError:
        # The reader of stdout went away (e.g. `| head`): that is how it says "enough".
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0) from None
    where = {
        SinkKind.kafka: f"kafka topic {options.topic or settings.kafka.raw_topic}",
        SinkKind.http: f"collector {collector_url(settings, options)}",
        SinkKind.file: str(output),
        SinkKind.stdout: "stdout",
    }[sink]
    err.print(escape(summary.describe(where)))
    if summary.error:
        err.print(f"[red]rta generate: {escape(summary.error)}[/red]")
        raise typer.Exit(1)


def model_table(settings: Settings, options: GenerateOptions) -> Table:
    """The traffic model and what it implies, one row per figure."""
    rate = options.rate if options.rate is not None else settings.generator.rate
    config = generator_config(settings, options)
    m = summarise(config, rate)
    t = Table("traffic model", "value", title=f"rta generate --describe (seed {config.seed})")
    f, tr = config.funnel, config.traffic
    rows = [
        ("population", f"{config.users:,} users (visit weight 1/(i+1)^{tr.user_skew:g})"),
        ("catalogue", f"{config.products:,} products"),
        (
            "think time",
            f"median {m.think_median_s:.1f} s, mean {m.think_mean_s:.1f} s, "
            f"p95 {m.think_p95_s:.0f} s (log-normal, sigma {tr.think_sigma:g})",
        ),
        ("explorers", f"{tr.explorer_share:.0%} of visits leave each step a third as often"),
        (
            "funnel",
            f"page -> product {f.page_to_product:g}, page -> page {f.page_to_page:g}; "
            f"view -> cart {f.view_to_cart:g}, again {f.view_repeat:g}, other "
            f"{f.view_to_other:g}, page {f.view_to_page:g}; cart -> purchase "
            f"{f.cart_to_purchase:g}, browse {f.cart_to_browse:g}",
        ),
        ("", ""),
        (f"implied, from {m.sample:,} planned visits", ""),
        (
            "events per visit",
            f"mean {m.events_mean:.2f}, median {m.events_median:g}, p95 {m.events_p95:g}",
        ),
        ("one-event visits (bounces)", f"{m.bounce_share:.1%}"),
        ("product views per visit", f"{m.views_per_visit:.2f}"),
        ("visits with an add to cart", f"{m.cart_share:.1%}"),
        ("visits with a purchase", f"{m.conversion:.1%}"),
        ("carts abandoned", f"{m.cart_abandonment:.1%}"),
        (
            "visit duration (2+ events)",
            f"median {m.duration_median_s:.0f} s, p95 {m.duration_p95_s:.0f} s",
        ),
        (f"at {rate:,.0f} events/s", ""),
        ("visits starting", f"{m.visits_per_s:,.0f}/s"),
        ("visits in progress", f"about {m.in_progress:,.0f}"),
    ]
    for name, value in rows:
        t.add_row(name, value)
    return t
