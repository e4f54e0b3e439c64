"""Simulated shop traffic: users, sessions following a funnel, and the sinks
they are written to (Kafka, an rta collector over HTTP, a JSON-lines file, stdout).

    generate(settings, GenerateOptions(...)) -> RunSummary   what `rta generate` runs
    EventStream(GeneratorConfig, Clock).next_batch(n)        the engine, for custom sinks

Errors a caller catches: KafkaUnavailableError (broker down, topic missing) and
SinkError (the output cannot be opened, the collector does not answer), both before
anything is generated.
Records lost when the sink is closed are reported in RunSummary.error instead.
"""

from rta.generator.api import GenerateOptions, SinkKind, generate, make_clock
from rta.generator.chaos import INVALID_KINDS, Chaos
from rta.generator.clock import Clock, FixedClock, RealClock, SimulatedClock, parse_start
from rta.generator.engine import EventStream, GeneratorConfig, Stats
from rta.generator.funnel import Funnel
from rta.generator.http_sink import HttpSink
from rta.generator.kafka_sink import KafkaSink
from rta.generator.runner import RunSummary, run
from rta.generator.sinks import FileSink, Sink, SinkError, StreamSink
from rta.kafka.delivery import KafkaUnavailableError

__all__ = [
    "INVALID_KINDS",
    "Chaos",
    "Clock",
    "EventStream",
    "FileSink",
    "FixedClock",
    "Funnel",
    "GenerateOptions",
    "GeneratorConfig",
    "HttpSink",
    "KafkaSink",
    "KafkaUnavailableError",
    "RealClock",
    "RunSummary",
    "SimulatedClock",
    "Sink",
    "SinkError",
    "SinkKind",
    "Stats",
    "StreamSink",
    "generate",
    "make_clock",
    "parse_start",
    "run",
]
