"""HTTP load generator for the collector benches: pre-built bodies of generated events,
posted over N keep-alive connections, counting what the collector accepted.

    python bench/_load.py --url http://127.0.0.1:8000 --key rta_... --events 500000

Prints one JSON object on stdout (a LoadResult) and progress on stderr. Run as its own
process by bench/collector.py and bench/collector_profile.py, so that its CPU is not
the collector's and its event loop is not shared with the server under test.

The client is asyncio streams with httptools' response parser (both already installed
with uvicorn[standard]), not httpx: httpx costs ~150 µs of CPU per request, which on a
2-core machine would be taken from the collector it measures; this costs ~20 µs. It
speaks only what the collector answers: HTTP/1.1, Content-Length bodies, keep-alive.

A request counts its events as accepted only from a 2xx answer's `accepted` field;
any other status, or a connection that fails, is a failure, counted by cause.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

import httptools

SEED = 1
START = "2026-01-01T00:00:00Z"
NDJSON = "application/x-ndjson"
JSON = "application/json"


def event_lines(events: int, *, seed: int = SEED, start: str = START) -> list[bytes]:
    """`events` generated records (what `rta generate --seed 1 --start ...` writes)."""
    from rta.testing import generate_lines  # imported late: --help stays fast

    sink, _ = generate_lines(events, seed=seed, start=start)
    return sink.lines


def build_bodies(lines: list[bytes], batch: int, form: str = "ndjson") -> list[bytes]:
    """Request bodies of `batch` lines each (the last may be shorter): NDJSON, one
    event per line, or a JSON array of the same events."""
    chunks = (lines[i : i + batch] for i in range(0, len(lines), batch))
    if form == "ndjson":
        return [b"\n".join(c) + b"\n" for c in chunks]
    if form == "json":
        return [b"[" + b",".join(c) + b"]" for c in chunks]
    raise ValueError(f"unknown body form {form!r} (ndjson or json)")


@dataclass
class LoadResult:
    events: int = 0
    """Events in the bodies sent."""
    accepted: int = 0
    """Sum of `accepted` over 2xx answers."""
    requests: int = 0
    seconds: float = 0.0
    """From the first request sent to the last answer read."""
    failures: dict[str, int] = field(default_factory=dict)
    """Requests that did not get a 2xx, by status ('503') or cause ('connection')."""
    failed_events: int = 0
    """Events in the requests that failed, or that a 2xx did not accept (rejected)."""
    cpu_s: float = 0.0
    """CPU seconds of this process while posting: it must stay well below `seconds`."""

    @property
    def rate(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0


class _Answer:
    """httptools callbacks of one response."""

    def __init__(self) -> None:
        self.body = bytearray()
        self.done = False

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        self.done = True


async def _post(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes, body: bytes
) -> tuple[int, bytes]:
    writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
    answer = _Answer()
    parser = httptools.HttpResponseParser(answer)
    while not answer.done:
        data = await reader.read(65536)
        if not data:
            raise ConnectionError("the collector closed the connection")
        parser.feed_data(data)
    return parser.get_status_code(), bytes(answer.body)


async def _connection(
    host: str,
    port: int,
    head: bytes,
    bodies: Iterator[tuple[int, bytes]],
    result: LoadResult,
    failures: Counter[str],
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for count, body in bodies:  # shared by every connection: each takes the next
            try:
                status, answer = await _post(reader, writer, head, body)
            except (ConnectionError, httptools.HttpParserError) as exc:
                failures[f"connection: {type(exc).__name__}"] += 1
                result.failed_events += count
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            result.requests += 1
            if 200 <= status < 300:
                accepted = int(json.loads(answer)["accepted"])
                result.accepted += accepted
                result.failed_events += count - accepted
            else:
                failures[str(status)] += 1
                result.failed_events += count
    finally:
        writer.close()


async def _progress(result: LoadResult, total: int, every_s: float) -> None:
    started = time.perf_counter()
    while True:
        await asyncio.sleep(every_s)
        elapsed = time.perf_counter() - started
        print(
            f"  load: {result.accepted:,}/{total:,} events accepted "
            f"({result.accepted / elapsed:,.0f}/s)",
            file=sys.stderr,
            flush=True,
        )


async def post_all(
    url: str,
    key: str,
    bodies: list[bytes],
    *,
    counts: list[int],
    connections: int,
    content_type: str = NDJSON,
    progress_s: float = 5.0,
) -> LoadResult:
    """Post every body once over `connections` keep-alive connections."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    head = (
        f"POST /v1/events HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Authorization: Bearer {key}\r\nContent-Type: {content_type}\r\n"
        "Content-Length: "
    ).encode()
    result = LoadResult(events=sum(counts))
    failures: Counter[str] = Counter()
    work = iter(zip(counts, bodies, strict=True))
    ticker = asyncio.create_task(_progress(result, result.events, progress_s))
    started, cpu = time.perf_counter(), time.process_time()
    try:
        await asyncio.gather(
            *(_connection(host, port, head, work, result, failures) for _ in range(connections))
        )
    finally:
        result.seconds = time.perf_counter() - started
        result.cpu_s = time.process_time() - cpu
        ticker.cancel()
    result.failures = dict(failures)
    return result


def _event_loop_policy() -> None:
    try:
        import uvloop  # installed with uvicorn[standard]
    except ImportError:  # pragma: no cover - uvloop is a dependency
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the collector, e.g. http://127.0.0.1:8000")
    parser.add_argument("--key", required=True, help="write key")
    parser.add_argument("--events", type=int, default=500_000, help="events to post")
    parser.add_argument("--batch", type=int, default=100, help="events per request")
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections")
    parser.add_argument("--form", choices=["ndjson", "json"], default="ndjson", help="body form")
    parser.add_argument("--seed", type=int, default=SEED, help="generator seed")
    args = parser.parse_args(argv)
    lines = event_lines(args.events, seed=args.seed)
    bodies = build_bodies(lines, args.batch, args.form)
    counts = [min(args.batch, len(lines) - i) for i in range(0, len(lines), args.batch)]
    del lines
    _event_loop_policy()
    print(
        f"  load: {len(bodies):,} bodies of {args.batch} events built; posting over "
        f"{args.connections} connections",
        file=sys.stderr,
        flush=True,
    )
    result = asyncio.run(
        post_all(
            args.url,
            args.key,
            bodies,
            counts=counts,
            connections=args.connections,
            content_type=NDJSON if args.form == "ndjson" else JSON,
        )
    )
    print(json.dumps(asdict(result)))


if __name__ == "__main__":
    main()
