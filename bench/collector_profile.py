"""The collector's request path in one process, without Kafka: where the time goes.

Serves the real app (rta.collector.server's uvicorn set-up) on a free loopback port
with a fake producer whose delivery reports arrive, one callback per record, from the
delivery thread's poll() as librdkafka's do; posts generated events at it with
bench/_load.py in a separate process; prints events/s and, with --profile, the
server's top functions (cProfile of the event-loop thread).

    .venv/bin/python bench/collector_profile.py                  # 200,000 events
    .venv/bin/python bench/collector_profile.py --profile --events 100000

No Kafka, so the figure is an upper bound of what `rta collector` takes: a broker on
the same two cores takes its share (bench/collector.py measures that).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn

from rta.collector.app import create_app
from rta.collector.keys import KeyStore
from rta.collector.server import listen, uvicorn_config
from rta.settings import CollectorSettings, Settings
from rta.testing import free_ports

LOAD = Path(__file__).with_name("_load.py")


class AckingProducer:
    """produce() queues the delivery callback; poll() runs the queued ones, as
    librdkafka does from the thread that polls. Keeps nothing else."""

    def __init__(self) -> None:
        self._due: list[Callable[[Any, Any], None]] = []
        self._cv = threading.Condition()

    def produce(self, topic: str, *args: Any, **kwargs: Any) -> None:
        with self._cv:
            self._due.append(kwargs["on_delivery"])
            self._cv.notify()

    def poll(self, timeout: float = 0.0) -> int:
        with self._cv:
            if not self._due and timeout > 0:
                self._cv.wait(timeout)
            due, self._due = self._due, []
        for callback in due:
            callback(None, None)
        return len(due)

    def flush(self, timeout: float = 0.0) -> int:
        self.poll(0.0)
        return 0

    def purge(self, *args: Any, **kwargs: Any) -> None:
        # The bridge purges a producer it replaces; this one holds only callbacks.
        with self._cv:
            self._due = []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000, help="events to post")
    parser.add_argument("--batch", type=int, default=100, help="events per request")
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections")
    parser.add_argument("--form", choices=["ndjson", "json"], default="ndjson", help="body form")
    parser.add_argument("--profile", action="store_true", help="cProfile the server thread")
    parser.add_argument("--top", type=int, default=25, help="profile lines to print")
    args = parser.parse_args()

    state = Path(tempfile.mkdtemp(prefix="rta-collector-profile-"))
    (port,) = free_ports(1)
    settings = Settings(state_dir=state, collector=CollectorSettings(port=port))
    keys = KeyStore(state / "keys.json")
    key = keys.add("bench")
    app = create_app(settings, producer=AckingProducer(), keys=keys)
    server = uvicorn.Server(uvicorn_config(app))
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, str(LOAD), "--url", url, "--key", key, "--events", str(args.events)]
    cmd += ["--batch", str(args.batch), "--connections", str(args.connections)]
    cmd += ["--form", args.form]
    outcome: dict[str, Any] = {}

    def drive() -> None:
        while not server.started:
            time.sleep(0.05)
        done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
        outcome.update(json.loads(done.stdout) if done.returncode == 0 else {})
        server.should_exit = True

    threading.Thread(target=drive, daemon=True).start()
    profiler = cProfile.Profile() if args.profile else None
    sock = listen("127.0.0.1", port)
    if profiler:
        profiler.enable()
    cpu0 = time.process_time()
    server.run(sockets=[sock])
    cpu = time.process_time() - cpu0
    if profiler:
        profiler.disable()
    if not outcome:
        sys.exit("bench: the load generator failed")
    rate = outcome["accepted"] / outcome["seconds"]
    print(
        f"accepted {outcome['accepted']:,} of {outcome['events']:,} events in "
        f"{outcome['seconds']:.2f} s: {rate:,.0f} events/s "
        f"({outcome['requests']:,} requests, failures {outcome['failures'] or 'none'}); "
        f"server CPU {cpu:.2f} s = {cpu / outcome['accepted'] * 1e6:.1f} µs/event, "
        f"load generator CPU {outcome['cpu_s']:.2f} s"
    )
    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(args.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
