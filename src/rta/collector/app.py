"""The collector's HTTP API: `POST /v1/events`, `GET /healthz`, `GET /metrics`.

    create_app(settings, producer=..., keys=...) -> FastAPI

Order of the checks on a post, each refusing the whole request: write key (401, 403),
Content-Type (415), body size and event count (413). Then every event is judged on its
own, and the answer waits until Kafka has confirmed the valid ones in raw_events and
the rejected ones in the dead-letter topic; if it does not in time, 503 with
Retry-After, and no event of the request counts as accepted.
"""

# No `from __future__ import annotations` here: FastAPI reads the routes' annotations
# at run time, and they name dependencies that are local to create_app.

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib.metadata import version
from typing import Annotated, Any, NoReturn

from fastapi import Depends, FastAPI, HTTPException, Request, Security
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from rta.collector.delivery import Delivery, DeliveryFailed, OutRecord, ProducerLike
from rta.collector.ingest import Batch, TooManyEvents, UnsupportedMediaType, body_kind, parse_body
from rta.collector.keys import KeyStore, WriteKey, WriteKeyError
from rta.collector.metrics import CONTENT_TYPE, Metrics
from rta.collector.openapi import event_schemas, events_request_body
from rta.kafka.dlq import dlq_headers
from rta.layout import Layout
from rta.settings import Settings

__all__ = ["IngestResult", "Rejection", "create_app"]

log = logging.getLogger("rta.collector")

# What a client told 503 should wait before retrying: a broker that is back answers
# within seconds, one that is restarting takes longer, and retries should not pile up.
RETRY_AFTER_S = 5
# At shutdown, how long queued records may take to reach Kafka.
FLUSH_TIMEOUT_S = 30.0


class Rejection(BaseModel):
    index: int = Field(description="Position of the event in the batch, from 0.")
    field: str = Field(description="The first field the reason names ('event', 'body').")
    reason: str = Field(description="What is wrong, as in the x-rta-reason header in the DLQ.")


class IngestResult(BaseModel):
    accepted: int = Field(description="Events Kafka confirmed in raw_events.")
    rejected: list[Rejection] = Field(description="Events rejected, in batch order.")


class Problem(BaseModel):
    detail: str


class Health(BaseModel):
    status: str = Field(description="'ok', or why the collector cannot take events.")


def _refuse(
    metrics: Metrics, status: int, detail: str, headers: dict[str, str] | None = None
) -> NoReturn:
    metrics.refused.labels(str(status)).inc()
    raise HTTPException(status, detail, headers=headers)


async def _read_body(request: Request, limit: int, metrics: Metrics) -> bytes:
    """The body, refused (413) as soon as it is known to be over `limit` bytes: from
    Content-Length before reading, or while reading a body sent without one.

    Not FastAPI's own `max_body_size`: its 413 is plain text in one of those two cases
    and JSON in the other, says nothing of the limit, and is not counted in /metrics.
    """
    too_large = f"body larger than {limit:,} bytes; send fewer events per request"
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        _refuse(metrics, 413, too_large)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            _refuse(metrics, 413, too_large)
    return bytes(body)


def _records(settings: Settings, batch: Batch, source: str) -> list[OutRecord]:
    raw, dlq = settings.kafka.raw_topic, settings.kafka.dlq_topic
    return [OutRecord(raw, v.value, v.key) for v in batch.valid] + [
        OutRecord(dlq, r.value, r.key, dlq_headers(r.reason, f"{source}:{r.index}"))
        for r in batch.rejected
        if r.value is not None
    ]


def _header(example: str, description: str) -> dict[str, Any]:
    return {
        "required": True,
        "description": description,
        "schema": {"type": "string", "example": example},
    }


def create_app(
    settings: Settings,
    *,
    producer: ProducerLike,
    keys: KeyStore | None = None,
    new_producer: Callable[[], ProducerLike] | None = None,
) -> FastAPI:
    """The collector as an ASGI app, producing with `producer` (the real one comes from
    rta.collector.server.serve; a rta.testing.RecordingProducer in tests). Its delivery
    thread runs while the app's lifespan does. `keys` defaults to the state directory's.
    `new_producer` replaces a producer that confirms nothing (rta.collector.delivery)."""
    c = settings.collector
    keys = keys or KeyStore(Layout(settings.state_dir).collector_keys)
    metrics = Metrics()
    delivery = Delivery(
        producer,
        replace=new_producer,
        replace_after_s=c.producer_reset_s,
        on_replaced=metrics.producer_replaced.inc,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        delivery.start()
        try:
            yield
        finally:
            left = await asyncio.to_thread(delivery.close, FLUSH_TIMEOUT_S)
            if left:
                log.error("%d record(s) were not delivered to Kafka at shutdown", left)

    app = FastAPI(
        title="rta collector",
        version=version("rta"),
        description="Takes user-behaviour events over HTTP, checks each with rta's event "
        "contract, and acknowledges them once Kafka has them.",
        lifespan=lifespan,
    )
    if c.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=c.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )

    bearer = HTTPBearer(
        auto_error=False, description="A write key from `rta collector keys add NAME`."
    )

    # async: a plain def would run in FastAPI's thread pool, a hop per request for a
    # stat and a hash.
    async def authenticate(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    ) -> WriteKey:
        challenge = {"WWW-Authenticate": "Bearer"}
        if credentials is None:
            _refuse(
                metrics,
                401,
                "no write key: send 'Authorization: Bearer <key>' "
                "(`rta collector keys add NAME` creates one)",
                challenge,
            )
        try:
            found = keys.find(credentials.credentials)
        except WriteKeyError:
            log.exception("cannot check a write key")
            raise HTTPException(500, "the collector cannot read its write keys") from None
        if found is None:
            _refuse(metrics, 401, "unknown write key", challenge)
        if not found.active:
            _refuse(metrics, 403, f"write key {found.name!r} was revoked at {found.revoked}")
        return found

    error_responses: dict[int | str, dict[str, Any]] = {
        400: {"model": IngestResult, "description": "No event was accepted."},
        401: {
            "model": Problem,
            "description": "No write key, or an unknown one.",
            "headers": {"WWW-Authenticate": _header("Bearer", "The scheme to authenticate with.")},
        },
        403: {"model": Problem, "description": "The write key was revoked."},
        413: {"model": Problem, "description": "Body or batch larger than allowed."},
        415: {"model": Problem, "description": "Neither JSON nor NDJSON."},
        503: {
            "model": Problem,
            "description": "Kafka did not confirm in time; nothing was accepted. Retry "
            "after the Retry-After seconds.",
            "headers": {"Retry-After": _header(str(RETRY_AFTER_S), "Seconds to wait.")},
        },
    }

    @app.post(
        "/v1/events",
        response_model=IngestResult,
        responses=error_responses,
        openapi_extra={"requestBody": events_request_body(c.max_batch)},
        summary="Send events",
    )
    async def post_events(
        request: Request, key: Annotated[WriteKey, Depends(authenticate)]
    ) -> JSONResponse:
        """Take one event, a JSON array of events, or NDJSON. 200 when at least one was
        accepted, 400 when none was; each rejected one is listed with its index, field
        and reason."""
        try:
            kind = body_kind(request.headers.get("content-type"))
        except UnsupportedMediaType as exc:
            _refuse(metrics, 415, str(exc))
        body = await _read_body(request, c.max_body_bytes, metrics)
        try:
            # CPU-bound and short (about a millisecond per hundred events): run on the
            # loop, where a thread hop would cost more than it frees.
            batch = parse_body(body, kind, max_batch=c.max_batch)
        except TooManyEvents as exc:
            _refuse(metrics, 413, str(exc))
        records = _records(settings, batch, f"collector:{key.name}")
        if records:
            started = time.perf_counter()
            try:
                await delivery.send(records, c.produce_timeout_s)
            except DeliveryFailed as exc:
                log.warning("answering 503: %s", exc)
                _refuse(
                    metrics,
                    503,
                    f"{exc}; none of the request's events were accepted, retry later",
                    {"Retry-After": str(RETRY_AFTER_S)},
                )
            finally:
                metrics.produce_latency.observe(time.perf_counter() - started)
        metrics.accepted.inc(len(batch.valid))
        for r in batch.rejected:
            metrics.rejected.labels(r.field, r.kind).inc()
        result = IngestResult(
            accepted=len(batch.valid),
            rejected=[
                Rejection(index=r.index, field=r.field, reason=r.reason) for r in batch.rejected
            ],
        )
        return JSONResponse(result.model_dump(), status_code=200 if batch.valid else 400)

    @app.get(
        "/healthz",
        summary="Liveness",
        response_model=Health,
        responses={503: {"model": Health, "description": "The delivery thread stopped."}},
    )
    async def healthz() -> JSONResponse:
        """200 while the collector serves and its Kafka delivery thread runs."""
        if not delivery.running:
            return JSONResponse({"status": "delivery thread stopped"}, status_code=503)
        return JSONResponse({"status": "ok"})

    # A bare Response has no media type of its own, so FastAPI would document none.
    @app.get(
        "/metrics",
        summary="Prometheus metrics",
        response_class=Response,
        responses={
            200: {
                "description": "Prometheus' text exposition format.",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            }
        },
    )
    async def prometheus() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = default_openapi()
            schema.setdefault("components", {}).setdefault("schemas", {}).update(event_schemas())
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
