"""Benchmark without Kafka: how fast the generator's engine makes events, alone and
with the cost of handing each one to librdkafka.

`bench/generator.py` needs a broker and measures everything at once; this one
isolates the producing thread's work, which is what limits `rta generate` to Kafka
(librdkafka's own threads run on the other core). Same run as that bench's "ours":
seed 1, simulated time from 2026-01-01 at the settings' nominal 1,000 events/s, so
the same ~33,000 visits are in progress.

    .venv/bin/python bench/generator_engine.py                   # both modes, 300,000 events
    .venv/bin/python bench/generator_engine.py --mode engine --profile
    .venv/bin/python bench/generator_engine.py --think-median 0.05  # a small calendar

Modes:
- engine:  EventStream.next_batch() only.
- produce: next_batch() then rta's KafkaSink.write() into a real confluent_kafka
  Producer with rta's settings, pointed at a port where nothing listens, with a
  queue big enough to hold every record: produce() does all its work (copy, key
  hash, partition queue), nothing is ever delivered, and the records are purged at
  the end. The producer's threads only retry the connection now and then.

Per mode it prints events/s (wall clock), the main thread's CPU µs per event
(`time.thread_time`, split into generation and sink, and how much of it the kernel
took: page faults, mostly the produce mode's queue growing into fresh memory, which a
run that delivers reuses), the warm start's cost
(the visits in progress made before the first event, not in the per-event
figures) and the 1-minute load average, which on a shared 2-core machine says how
far to trust the run. `--profile`: cProfile of the engine, by own time.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
import time
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import Producer

from rta.generator.clock import SimulatedClock, parse_start
from rta.generator.engine import EventStream, GeneratorConfig
from rta.generator.kafka_sink import KafkaSink
from rta.generator.traffic import Traffic
from rta.kafka.client import producer_config
from rta.kafka.delivery import DeliveryTracker
from rta.settings import Settings

RESULTS = Path(__file__).parent / "results" / "generator_engine.json"
SEED = 1
START = "2026-01-01T00:00:00Z"
NOMINAL_RATE = 1000.0  # settings.generator.rate, what `--rate 0 --start` stamps at
BATCH = 1000  # rta.generator.runner.MAX_BATCH
# Nothing listens here (port 9, discard, is closed on these machines): produce() queues.
NOWHERE = "127.0.0.1:9"


@dataclass(frozen=True)
class Result:
    mode: str
    events: int
    wall_s: float
    gen_cpu_s: float
    sink_cpu_s: float
    warm_s: float
    load: float
    kernel_s: float = 0.0

    @property
    def rate(self) -> float:
        return self.events / self.wall_s

    def line(self) -> str:
        us = 1e6 / self.events
        return (
            f"{self.mode:8s} {self.rate:>10,.0f} events/s  main thread "
            f"{(self.gen_cpu_s + self.sink_cpu_s) * us:5.2f} µs/event "
            f"(generate {self.gen_cpu_s * us:5.2f}, sink {self.sink_cpu_s * us:5.2f}; "
            f"kernel {self.kernel_s * us:4.2f})  "
            f"warm start {self.warm_s:.2f} s  load {self.load:.2f}"
        )


def make_stream(think_median_s: float | None) -> EventStream:
    """The stream `rta generate --rate 0 --seed 1 --start ...` runs (api.generate)."""
    traffic = Traffic() if think_median_s is None else Traffic(think_median_s=think_median_s)
    config = GeneratorConfig(seed=SEED, traffic=traffic)
    clock = SimulatedClock(parse_start(START), 1000.0 / NOMINAL_RATE)
    return EventStream(config, clock)


def unreachable_sink() -> tuple[KafkaSink, Producer]:
    """rta's producer and sink, queueing into the void (see the module docstring)."""
    settings = Settings()
    conf = producer_config(
        settings,
        **{
            "bootstrap.servers": NOWHERE,
            "queue.buffering.max.messages": 10_000_000,
            "queue.buffering.max.kbytes": 4_000_000,
            "message.timeout.ms": 600_000,
            "reconnect.backoff.ms": 1000,
            "reconnect.backoff.max.ms": 10_000,
            "log_level": 0,  # the refused connections are expected
        },
    )
    tracker = DeliveryTracker()
    conf["on_delivery"] = tracker.on_delivery
    producer = Producer(conf)
    return KafkaSink(producer, tracker, "rta_bench_generator_engine"), producer


def measure(mode: str, events: int, think_median_s: float | None, profile: bool) -> Result:
    stream = make_stream(think_median_s)
    sink, producer = unreachable_sink() if mode == "produce" else (None, None)
    cpu = time.thread_time
    # The first batch makes the visits already in progress: once per run, not per event.
    t0 = time.perf_counter()
    values, keys = stream.next_batch(BATCH)
    warm_s = time.perf_counter() - t0
    if sink is not None:
        sink.write(values, keys)
    prof = cProfile.Profile() if profile else None
    gen = snk = 0.0
    done = 0
    wall0 = time.perf_counter()
    kernel0 = resource.getrusage(resource.RUSAGE_THREAD).ru_stime
    if prof is not None:
        prof.enable()
    while done < events:
        c0 = cpu()
        values, keys = stream.next_batch(BATCH)
        c1 = cpu()
        gen += c1 - c0
        if sink is not None:
            sink.write(values, keys)
            snk += cpu() - c1
        done += BATCH
    if prof is not None:
        prof.disable()
    wall = time.perf_counter() - wall0
    kernel = resource.getrusage(resource.RUSAGE_THREAD).ru_stime - kernel0
    if producer is not None:
        producer.purge()  # never delivered: drop them rather than wait
        producer.flush(0)
    if prof is not None:
        pstats.Stats(prof).sort_stats("tottime").print_stats(12)
    return Result(mode, done, wall, gen, snk, warm_s, os.getloadavg()[0], kernel)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=300_000, help="events per mode")
    parser.add_argument("--mode", choices=("engine", "produce", "both"), default="both")
    parser.add_argument(
        "--think-median", type=float, default=None, help="Traffic.think_median_s (s)"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the run")
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS}")
    args = parser.parse_args()
    modes = ("engine", "produce") if args.mode == "both" else (args.mode,)
    results = [measure(m, args.events, args.think_median, args.profile) for m in modes]
    for r in results:
        print(r.line())
    if args.write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        rows = [
            {
                "name": f"generator_{r.mode}",
                "value": round(r.rate),
                "unit": "events/s",
                "main_thread_us_per_event": round((r.gen_cpu_s + r.sink_cpu_s) * 1e6 / r.events, 3),
                "generate_us_per_event": round(r.gen_cpu_s * 1e6 / r.events, 3),
                "sink_us_per_event": round(r.sink_cpu_s * 1e6 / r.events, 3),
                "kernel_us_per_event": round(r.kernel_s * 1e6 / r.events, 3),
                "events": r.events,
                "think_median_s": args.think_median,
                "load_average_1m": r.load,
                "date": time.strftime("%Y-%m-%d"),
            }
            for r in results
        ]
        RESULTS.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
