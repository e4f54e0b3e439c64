"""`rta collector`: the app on uvicorn, with a real producer checked against Kafka."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import uvicorn
from confluent_kafka import Producer

from rta import http
from rta.collector.app import create_app
from rta.collector.keys import KeyStore
from rta.errors import RtaError
from rta.kafka.client import make_producer
from rta.kafka.delivery import check_topics
from rta.layout import Layout
from rta.settings import Settings

__all__ = ["CollectorError", "collector_producer", "listen", "serve", "uvicorn_config"]


class CollectorError(RtaError):
    """The collector cannot start (its port is taken) or stopped abnormally."""


def collector_producer(settings: Settings, timeout_s: float | None = None) -> Producer:
    """rta's idempotent, acks=all producer, tuned for answering requests, and checked:
    the broker answers and raw_events and the dead-letter topic exist. Raises
    KafkaUnavailableError otherwise."""
    producer = _new_producer(settings)
    check_topics(
        producer, settings, [settings.kafka.raw_topic, settings.kafka.dlq_topic], timeout_s
    )
    return producer


def _new_producer(settings: Settings) -> Producer:
    """The collector's producer, unchecked: also what replaces one that confirms nothing
    (rta.collector.delivery), when Kafka may still be away."""
    return make_producer(
        settings,
        # A request waits for its records: batch for a few ms, not the 20 ms that
        # suit the generator's bulk.
        **{"linger.ms": 5},
        # librdkafka gives up on a record when the request does (503): else it would
        # deliver it minutes later, beside the retry the client was told to make.
        **{"message.timeout.ms": max(1, round(settings.collector.produce_timeout_s * 1000))},
    )


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or CollectorError saying why not."""
    return http.listen(host, port, CollectorError, "RTA_COLLECTOR__PORT")


def uvicorn_config(app: Any) -> uvicorn.Config:
    """How `rta collector` runs an app on uvicorn (bench/collector_profile.py too)."""
    # log_config=None: uvicorn's records go through rta.log like every library's
    # (the file, and stderr with --verbose), instead of uvicorn's own handlers.
    return uvicorn.Config(app, log_config=None, server_header=False)


def serve(
    settings: Settings,
    *,
    host: str | None = None,
    port: int | None = None,
    on_ready: Callable[[str], Any] | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM, then finish the requests in progress and flush the
    producer. Raises KafkaUnavailableError or CollectorError before serving."""
    c = settings.collector
    host, port = host or c.host, port or c.port
    producer = collector_producer(settings)
    keys = KeyStore(Layout(settings.state_dir).collector_keys)
    app = create_app(
        settings, producer=producer, keys=keys, new_producer=lambda: _new_producer(settings)
    )
    sock = listen(host, port)
    server = uvicorn.Server(uvicorn_config(app))
    if on_ready is not None:
        on_ready(f"http://{host}:{port}")
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        # uvicorn has shut down gracefully (requests finished, producer flushed) before
        # it re-raises the Ctrl-C it caught: a stop as asked, not an error.
        pass
    finally:
        sock.close()
    if not server.started:
        raise CollectorError(
            "the collector stopped before it was ready; see <state dir>/logs/rta.log "
            "(or run with --verbose)"
        )
