"""The HTTP collector: events from real clients, checked with the event contract, into
raw_events (rejects into the dead-letter topic), acknowledged once Kafka has them.

    create_app(settings, producer=..., keys=...) -> FastAPI   the ASGI app (app.py)
    serve(settings)                                            `rta collector` (server.py)
    KeyStore(path)                                             write keys, hashed (keys.py)

Inside: ingest.py parses a body into records, delivery.py bridges Kafka's delivery
reports to the event loop, metrics.py keeps the Prometheus counters, openapi.py puts the
contract's JSON Schema into the OpenAPI spec.
"""

from rta.collector.app import create_app
from rta.collector.keys import KeyStore, WriteKey, WriteKeyError
from rta.collector.server import CollectorError, serve

__all__ = ["CollectorError", "KeyStore", "WriteKey", "WriteKeyError", "create_app", "serve"]
