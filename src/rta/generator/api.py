"""`rta generate` as a plain function: options in, summary out."""

from __future__ import annotations

import enum
import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from rta.generator.chaos import Chaos
from rta.generator.clock import Clock, RealClock, SimulatedClock, parse_start
from rta.generator.engine import EventStream, GeneratorConfig
from rta.generator.funnel import Funnel
from rta.generator.http_sink import HttpSink
from rta.generator.kafka_sink import KafkaSink
from rta.generator.progress import ProgressDisplay
from rta.generator.runner import RunSummary, run
from rta.generator.sinks import FileSink, Sink, SinkError, StreamSink
from rta.generator.traffic import Traffic, TrafficShape
from rta.kafka.delivery import connect_producer
from rta.settings import Settings

__all__ = ["GenerateOptions", "SinkKind", "collector_url", "generate", "make_clock"]

# Event-time density of a simulated run at --rate 0, when settings give no rate.
_NOMINAL_RATE = 1000.0


class SinkKind(enum.StrEnum):
    kafka = "kafka"
    file = "file"
    stdout = "stdout"
    http = "http"


@dataclass(frozen=True)
class GenerateOptions:
    """Everything `rta generate` can be told; None means 'from settings'."""

    sink: SinkKind = SinkKind.kafka
    output: Path | None = None
    topic: str | None = None
    url: str | None = None
    """--sink http: the collector's base URL (None: settings.collector.endpoint)."""
    key: str | None = None
    """--sink http: the write key (None: settings.collector.key)."""
    count: int | None = None
    duration_s: float | None = None
    rate: float | None = None
    seed: int | None = None
    start: str | None = None
    speedup: float = 1.0
    users: int | None = None
    products: int | None = None
    chaos: Chaos = field(default_factory=Chaos)
    funnel: Funnel = field(default_factory=Funnel)
    traffic: Traffic = field(default_factory=Traffic)
    shape: TrafficShape = field(default_factory=TrafficShape)

    def __post_init__(self) -> None:
        if self.sink is SinkKind.file and self.output is None:
            raise ValueError("--sink file needs --output PATH")
        if self.speedup <= 0:
            raise ValueError("speedup: must be > 0")
        if self.start is not None:
            parse_start(self.start)  # fail early with the parser's message
        elif not self.shape.flat:
            raise ValueError("--daily and --burst-at shape simulated time: give --start as well")


def make_clock(options: GenerateOptions, rate: float, nominal_rate: float) -> Clock:
    """Real time, or with --start simulated time: each event advances the clock by
    speedup / rate seconds (nominal_rate when rate is 0), whatever the wall clock says,
    scaled by the traffic shape's factor at that time."""
    if options.start is None:
        return RealClock()
    per_second = rate or nominal_rate or _NOMINAL_RATE
    step = options.speedup * 1000.0 / per_second
    return SimulatedClock(parse_start(options.start), step, options.shape)


def generator_config(settings: Settings, options: GenerateOptions) -> GeneratorConfig:
    """The engine's config: the options, with settings where they are None. Without a
    seed anywhere, a random one (the summary reports it, so the run can be repeated)."""
    g = settings.generator
    seed = options.seed if options.seed is not None else g.seed
    if seed is None:
        seed = int.from_bytes(os.urandom(4), "big")
    return GeneratorConfig(
        seed=seed,
        users=options.users or g.users,
        products=options.products or g.products,
        funnel=options.funnel,
        chaos=options.chaos,
        traffic=options.traffic,
    )


def _make_sink(settings: Settings, options: GenerateOptions, stdout: IO[str] | None) -> Sink:
    if options.sink is SinkKind.stdout:
        return StreamSink(stdout or sys.stdout)
    if options.sink is SinkKind.file:
        assert options.output is not None
        return FileSink(options.output)
    if options.sink is SinkKind.http:
        c = settings.collector
        key = options.key or (c.key.get_secret_value() if c.key else None)
        if not key:
            raise SinkError(
                "--sink http needs a write key: --key or RTA_COLLECTOR__KEY "
                "(`rta collector keys add NAME` creates one)"
            )
        return HttpSink(collector_url(settings, options), key, batch=c.max_batch)
    topic = options.topic or settings.kafka.raw_topic
    producer, tracker = connect_producer(settings, [topic])
    return KafkaSink(producer, tracker, topic)


def collector_url(settings: Settings, options: GenerateOptions) -> str:
    """Where --sink http posts: --url, else the collector the settings name."""
    return (options.url or settings.collector.endpoint).rstrip("/")


def generate(
    settings: Settings,
    options: GenerateOptions,
    *,
    stop: threading.Event | None = None,
    progress: ProgressDisplay | None = None,
    stdout: IO[str] | None = None,
) -> RunSummary:
    """Build the simulated world, then stream its events into the chosen sink.

    Raises KafkaUnavailableError (kafka sink, broker down or topic missing) and
    SinkError (output file cannot be written, collector not answering or no write
    key) before generating anything.
    """
    g = settings.generator
    rate = options.rate if options.rate is not None else g.rate
    config = generator_config(settings, options)
    clock = make_clock(options, rate, g.rate)
    sink = _make_sink(settings, options, stdout)
    # The rate in event time: a simulated clock has its own; the wall clock runs at the
    # paced rate (unpaced: the settings' rate, as near as anything is to it).
    stream = EventStream(config, clock, rate=None if options.start else (rate or g.rate))
    return run(
        stream,
        sink,
        count=options.count,
        duration_s=options.duration_s,
        rate=rate,
        stop=stop,
        progress=progress,
    )
