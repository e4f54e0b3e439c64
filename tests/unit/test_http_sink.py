"""`rta generate --sink http`: the generator's HTTP sink, against a real collector (uvicorn
on a free port, a recording producer instead of Kafka) and against scripted answers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from typer.testing import CliRunner

from rta.cli import app
from rta.collector.app import create_app
from rta.collector.keys import KeyStore
from rta.generator import Chaos, GenerateOptions, SinkError, SinkKind, generate
from rta.generator.http_sink import HttpSink
from rta.layout import Layout
from rta.settings import Settings
from rta.testing import RecordingProducer, free_ports

runner = CliRunner()


class _Served:
    def __init__(self, settings: Settings, producer: RecordingProducer, key: str) -> None:
        self.settings, self.producer, self.key = settings, producer, key


@pytest.fixture
def served(tmp_path: Path) -> Iterator[_Served]:
    """A collector serving on a free port in a thread, producing to a RecordingProducer."""
    settings = Settings(state_dir=tmp_path, collector={"port": free_ports(1)[0]})  # type: ignore[arg-type]
    key = KeyStore(Layout(tmp_path).collector_keys).add("generator")
    producer = RecordingProducer()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, producer=producer),
            host="127.0.0.1",
            port=settings.collector.port,
            log_config=None,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the collector did not start"
        time.sleep(0.02)
    try:
        yield _Served(settings, producer, key)
    finally:
        server.should_exit = True
        thread.join(10)


def test_generate_posts_every_record_once_and_invalid_ones_reach_the_dlq(
    served: _Served,
) -> None:
    options = GenerateOptions(
        sink=SinkKind.http,
        key=served.key,
        count=2500,
        rate=0.0,
        seed=4,
        start="2026-01-01T00:00:00Z",
        chaos=Chaos(invalid_fraction=0.02),
    )
    summary = generate(served.settings, options)
    assert summary.error is None
    raw = served.producer.on(served.settings.kafka.raw_topic)
    dlq = served.producer.on(served.settings.kafka.dlq_topic)
    invalid = summary.stats.invalid_total
    assert invalid > 0
    assert len(raw) + len(dlq) == summary.sent
    assert len(dlq) == invalid
    ids = [json.loads(r.value)["event_id"] for r in raw]
    assert len(set(ids)) == len(ids)  # each event once
    assert all(r.key == json.loads(r.value)["session_id"].encode() for r in raw)


def test_the_command_reads_the_key_from_the_environment(served: _Served) -> None:
    s = served.settings
    env = {
        "RTA_STATE_DIR": str(s.state_dir),
        "RTA_COLLECTOR__PORT": str(s.collector.port),
        "RTA_COLLECTOR__KEY": served.key,
    }
    result = runner.invoke(app, ["generate", "--sink", "http", "-n", "300", "-q"], env=env)
    assert result.exit_code == 0, result.output
    assert f"sent 300 records to collector {s.collector.endpoint}" in result.stderr
    assert len(served.producer.records) == 300


def test_a_wrong_key_stops_the_run_with_the_collectors_reason(served: _Served) -> None:
    sink = HttpSink(served.settings.collector.endpoint, "rta_wrong")
    with pytest.raises(SinkError, match="HTTP 401: unknown write key"):
        sink.write(['{"event_id": "x"}'], [b"k"])
    sink.close()
    assert not served.producer.records


def test_no_key_is_an_error_before_anything_is_sent(tmp_path: Path) -> None:
    options = GenerateOptions(sink=SinkKind.http, count=10)
    with pytest.raises(SinkError, match="needs a write key"):
        generate(Settings(state_dir=tmp_path), options)


def test_no_collector_is_an_error_before_anything_is_generated() -> None:
    port = free_ports(1)[0]
    with pytest.raises(SinkError, match=f"cannot reach the collector at http://127.0.0.1:{port}"):
        HttpSink(f"http://127.0.0.1:{port}", "rta_k")


# --- scripted answers ---------------------------------------------------------------------


def _sink(handler: Callable[[httpx.Request], httpx.Response], **kw: Any) -> HttpSink:
    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/healthz":
            return httpx.Response(200, json={"status": "ok"})
        return handler(request)

    return HttpSink(
        "http://collector",
        "rta_k",
        transport=httpx.MockTransport(route),
        sleep=lambda s: None,
        **kw,
    )  # type: ignore[arg-type]


def test_batches_are_ndjson_with_the_key_and_split_at_the_batch_size() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        n = len(request.content.splitlines())
        return httpx.Response(200, json={"accepted": n, "rejected": []})

    sink = _sink(handler, batch=2)
    sink.write(['{"a":1}', '{"a":2}', '{"a":3}'], [b"k"] * 3)
    assert [r.content for r in seen] == [b'{"a":1}\n{"a":2}\n', b'{"a":3}\n']
    assert seen[0].headers["authorization"] == "Bearer rta_k"
    assert seen[0].headers["content-type"] == "application/x-ndjson"
    assert sink.accepted == 3


def test_503_is_retried_after_retry_after_then_succeeds() -> None:
    answers = [
        httpx.Response(503, json={"detail": "Kafka away"}, headers={"Retry-After": "5"}),
        httpx.Response(400, json={"accepted": 0, "rejected": [{"index": 0}]}),
    ]
    waits: list[float] = []
    sink = HttpSink(
        "http://collector",
        "rta_k",
        transport=httpx.MockTransport(
            lambda r: httpx.Response(200) if r.url.path == "/healthz" else answers.pop(0)
        ),
        sleep=waits.append,
    )
    sink.write(["{}"], [b"k"])
    assert waits == [5.0]
    assert sink.waited_s == 5.0  # the run's summary says how long the outage held it up
    assert (sink.accepted, sink.rejected) == (0, 1)  # 400: taken, and kept in the DLQ


def test_503_for_too_long_is_an_error_naming_the_records() -> None:
    sink = _sink(lambda r: httpx.Response(503, json={"detail": "Kafka away"}), attempts=3)
    with pytest.raises(
        SinkError, match=r"2 record\(s\) were not delivered .* HTTP 503: Kafka away"
    ):
        sink.write(["{}", "{}"], [b"k", b"k"])


@pytest.mark.parametrize("status", [403, 413, 415])
def test_refusals_are_not_retried(status: int) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(status)
        return httpx.Response(status, json={"detail": "no"})

    with pytest.raises(SinkError, match=f"HTTP {status}: no"):
        _sink(handler).write(["{}"], [b"k"])
    assert len(calls) == 1


def test_an_answer_that_is_not_the_collectors_is_an_error() -> None:
    sink = _sink(lambda r: httpx.Response(200, text="<html>a proxy's page</html>"))
    with pytest.raises(SinkError, match="not as an rta collector"):
        sink.write(["{}"], [b"k"])
