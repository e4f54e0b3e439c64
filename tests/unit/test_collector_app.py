"""The collector's HTTP API, in process (httpx's ASGI transport, the app's lifespan),
producing to a rta.testing.RecordingProducer that confirms, refuses or holds back
deliveries as Kafka would."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka import KafkaError
from fastapi import FastAPI
from tests.support.corpus import build

from rta.collector.app import RETRY_AFTER_S, create_app
from rta.collector.keys import KeyStore
from rta.events import EventError, parse_event_json
from rta.kafka.dlq import REASON_HEADER, SOURCE_HEADER
from rta.settings import Settings
from rta.testing import RecordingProducer, generate_lines

pytestmark = pytest.mark.anyio

NDJSON = {"Content-Type": "application/x-ndjson"}
JSON = {"Content-Type": "application/json"}
SETTINGS = Settings(
    collector={"max_batch": 10, "max_body_bytes": 20_000, "produce_timeout_s": 0.3}  # type: ignore[arg-type]
)
RAW, DLQ = SETTINGS.kafka.raw_topic, SETTINGS.kafka.dlq_topic


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def lines() -> list[bytes]:
    sink, _ = generate_lines(20, seed=5)
    return sink.lines


@dataclass
class Collector:
    http: httpx.AsyncClient
    producer: RecordingProducer
    keys: KeyStore
    key: str
    app: FastAPI

    async def post(
        self, body: bytes | str, headers: dict[str, str] | None = None, key: str | None = None
    ) -> httpx.Response:
        auth = {"Authorization": f"Bearer {key or self.key}"}
        return await self.http.post(
            "/v1/events", content=body, headers={**auth, **(headers or JSON)}
        )

    async def metrics(self) -> str:
        return (await self.http.get("/metrics")).text


@asynccontextmanager
async def _collector(
    tmp_path: Path, producer: RecordingProducer, settings: Settings = SETTINGS
) -> AsyncIterator[Collector]:
    keys = KeyStore(tmp_path / "keys.json")
    key = keys.add("web")
    app = create_app(settings, producer=producer, keys=keys)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c") as http,
    ):
        yield Collector(http, producer, keys, key, app)


@pytest.fixture
async def collector(tmp_path: Path) -> AsyncIterator[Collector]:
    async with _collector(tmp_path, RecordingProducer()) as c:
        yield c


def _event(line: bytes, **changes: Any) -> dict[str, Any]:
    event = json.loads(line)
    for name, value in changes.items():
        if value is None:
            event.pop(name, None)
        else:
            event[name] = value
    return event


# --- accepted -----------------------------------------------------------------------


async def test_one_event_goes_to_raw_events_untouched_and_keyed(
    collector: Collector, lines: list[bytes]
) -> None:
    resp = await collector.post(lines[0])
    assert resp.status_code == 200
    assert resp.json() == {"accepted": 1, "rejected": []}
    [record] = collector.producer.records
    assert (record.topic, record.value) == (RAW, lines[0])
    assert record.key == json.loads(lines[0])["session_id"].encode()


async def test_an_array_goes_in_order_each_event_keyed(
    collector: Collector, lines: list[bytes]
) -> None:
    events = [json.loads(line) for line in lines[:5]]
    resp = await collector.post(json.dumps(events))
    assert resp.json() == {"accepted": 5, "rejected": []}
    raw = collector.producer.on(RAW)
    assert [json.loads(r.value) for r in raw] == events  # every value as sent
    assert [r.key for r in raw] == [e["session_id"].encode() for e in events]


async def test_ndjson_lines_go_byte_for_byte_blank_lines_and_crlf_skipped(
    collector: Collector, lines: list[bytes]
) -> None:
    body = lines[0] + b"\r\n\n" + lines[1] + b"\n   \n" + lines[2]  # no final line end
    resp = await collector.post(body, NDJSON)
    assert resp.json() == {"accepted": 3, "rejected": []}
    assert [r.value for r in collector.producer.on(RAW)] == lines[:3]


async def test_content_type_parameters_are_ignored(
    collector: Collector, lines: list[bytes]
) -> None:
    resp = await collector.post(lines[0], {"Content-Type": "Application/JSON; charset=utf-8"})
    assert resp.status_code == 200


async def test_array_elements_keep_unicode_and_large_numbers(
    collector: Collector, lines: list[bytes]
) -> None:
    event = _event(lines[0], location="Zürich 🏔", app_build=2**70)
    resp = await collector.post(json.dumps([event]))
    assert resp.json()["accepted"] == 1
    sent = collector.producer.on(RAW)[0].value
    assert json.loads(sent) == event
    assert "Zürich 🏔".encode() in sent  # UTF-8, not \u escapes


# --- rejected, event by event ----------------------------------------------------------


BAD: dict[str, tuple[dict[str, Any], str, str]] = {
    # name: (changes to a valid event, field named, start of the reason)
    "naive timestamp": (
        {"event_timestamp": "2026-01-01T10:00:00"},
        "event_timestamp",
        "event_timestamp: timestamp has no time zone",
    ),
    "missing field": ({"user_id": None}, "user_id", "user_id: Field required"),
    "wrong type": ({"os": 7}, "os", "os: Input should be a valid string"),
    "unknown event_type": ({"event_type": "click"}, "event_type", "event_type: must be one of"),
}


async def test_a_mixed_batch_accepts_the_valid_and_names_each_rejected_one(
    collector: Collector, lines: list[bytes]
) -> None:
    batch: list[Any] = [json.loads(lines[0])]
    for changes, _, _ in BAD.values():
        batch.append(_event(lines[len(batch)], **changes))
    batch += [42, json.loads(lines[9])]
    resp = await collector.post(json.dumps(batch))
    assert resp.status_code == 200
    body = resp.json()
    assert body["accepted"] == 2
    rejected = body["rejected"]
    assert [r["index"] for r in rejected] == [1, 2, 3, 4, 5]
    for r, (_, field, reason) in zip(rejected, BAD.values(), strict=False):
        assert r["field"] == field and r["reason"].startswith(reason), r
    assert rejected[-1] == {
        "index": 5,
        "field": "event",
        "reason": "event: must be a JSON object, got int",
    }
    # The valid ones in raw_events, in batch order; every rejected one in the DLQ with
    # its reason, where it came from, and the session it belongs to.
    assert [r.value for r in collector.producer.on(RAW)] == [
        json.dumps(batch[0], separators=(",", ":")).encode(),
        json.dumps(batch[6], separators=(",", ":")).encode(),
    ]
    dlq = collector.producer.on(DLQ)
    assert [json.loads(r.value) for r in dlq] == batch[1:6]
    for record, r in zip(dlq, rejected, strict=True):
        assert record.headers[REASON_HEADER].decode() == r["reason"]
        assert record.headers[SOURCE_HEADER] == f"collector:web:{r['index']}".encode()
    assert dlq[0].key == batch[1]["session_id"].encode()
    assert dlq[-1].key is None


async def test_none_accepted_is_400_and_every_event_in_the_dlq(
    collector: Collector, lines: list[bytes]
) -> None:
    bad = [
        _event(line, **changes) for line, (changes, _, _) in zip(lines, BAD.values(), strict=False)
    ]
    resp = await collector.post(b"\n".join(json.dumps(b).encode() for b in bad), NDJSON)
    assert resp.status_code == 400
    assert resp.json()["accepted"] == 0
    assert [r["field"] for r in resp.json()["rejected"]] == [f for _, f, _ in BAD.values()]
    assert not collector.producer.on(RAW)
    assert len(collector.producer.on(DLQ)) == len(BAD)


async def test_malformed_json_body_is_400_and_kept_in_the_dlq(collector: Collector) -> None:
    resp = await collector.post(b'{"event_id": "abc"')
    assert resp.status_code == 400
    [r] = resp.json()["rejected"]
    assert (r["index"], r["field"]) == (0, "event")
    assert r["reason"].startswith("event: not valid JSON")
    [dead] = collector.producer.records
    assert (dead.topic, dead.value) == (DLQ, b'{"event_id": "abc"')


async def test_a_malformed_ndjson_line_is_rejected_alone(
    collector: Collector, lines: list[bytes]
) -> None:
    body = b"\n".join([lines[0], b"{broken", lines[1]])
    resp = await collector.post(body, NDJSON)
    assert resp.status_code == 200
    assert resp.json()["accepted"] == 2
    assert [(r["index"], r["field"]) for r in resp.json()["rejected"]] == [(1, "event")]
    assert [r.value for r in collector.producer.on(DLQ)] == [b"{broken"]


@pytest.mark.parametrize(
    ("body", "headers"), [(b"", JSON), (b"  \n", JSON), (b"[]", JSON), (b"\n\n", NDJSON)]
)
async def test_no_events_is_400_and_nothing_produced(
    collector: Collector, body: bytes, headers: dict[str, str]
) -> None:
    resp = await collector.post(body, headers)
    assert resp.status_code == 400
    assert resp.json()["rejected"] == [
        {"index": 0, "field": "body", "reason": "body: no events (an empty body or array)"}
    ]
    assert not collector.producer.records


CORPUS = build(datetime(2030, 1, 1, tzinfo=UTC))


async def test_the_collector_judges_every_corpus_record_as_the_contract_does(
    collector: Collector,
) -> None:
    # One definition: what the collector takes is what replay (and the pipeline) takes.
    for case in CORPUS:
        collector.producer.records.clear()
        resp = await collector.post(case.record, NDJSON)
        try:
            parse_event_json(case.record)
        except EventError as exc:
            expected: tuple[int, str | None] = (0, exc.reason)
        else:
            expected = (1, None)
        if not case.record.strip():
            expected = (0, "body: no events (an empty body or array)")
        body = resp.json()
        got = (body["accepted"], body["rejected"][0]["reason"] if body["rejected"] else None)
        assert got == expected, case.name
        assert resp.status_code == (200 if expected[0] else 400), case.name


# --- refused as a whole ------------------------------------------------------------------


async def test_oversize_body_is_413_before_anything_is_produced(
    collector: Collector, lines: list[bytes]
) -> None:
    body = b"\n".join(lines * 40)  # > 20,000 bytes
    resp = await collector.post(body, NDJSON)
    assert resp.status_code == 413
    assert "larger than 20,000 bytes" in resp.json()["detail"]

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
        for _ in range(40):
            yield lines[0] + b"\n"

    resp = await collector.http.post(
        "/v1/events",
        content=chunks(),
        headers={"Authorization": f"Bearer {collector.key}", **NDJSON},
    )
    assert resp.status_code == 413
    assert not collector.producer.records
    assert 'rta_collector_requests_refused_total{status="413"} 2.0' in await collector.metrics()


async def test_more_events_than_max_batch_is_413(collector: Collector, lines: list[bytes]) -> None:
    resp = await collector.post(b"\n".join(lines[:11]), NDJSON)
    assert resp.status_code == 413
    assert resp.json()["detail"] == "11 events in one request; at most 10 are taken"
    resp = await collector.post(json.dumps([json.loads(x) for x in lines[:11]]))
    assert resp.status_code == 413
    assert not collector.producer.records


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", None])
async def test_wrong_content_type_is_415(
    collector: Collector, lines: list[bytes], content_type: str | None
) -> None:
    headers = {"Authorization": f"Bearer {collector.key}"}
    if content_type:
        headers["Content-Type"] = content_type
    resp = await collector.http.post("/v1/events", content=lines[0], headers=headers)
    assert resp.status_code == 415
    assert "application/x-ndjson" in resp.json()["detail"]
    assert not collector.producer.records


@pytest.mark.parametrize(
    ("authorization", "detail"),
    [
        (None, "no write key"),
        ("Bearer rta_not-a-key", "unknown write key"),
        ("Basic dXNlcjpwYXNz", "no write key"),
        ("Bearer", "no write key"),
    ],
)
async def test_no_or_wrong_key_is_401(
    collector: Collector, lines: list[bytes], authorization: str | None, detail: str
) -> None:
    headers = {**JSON, **({"Authorization": authorization} if authorization else {})}
    resp = await collector.http.post("/v1/events", content=lines[0], headers=headers)
    assert resp.status_code == 401
    assert resp.headers["www-authenticate"] == "Bearer"
    assert resp.json()["detail"].startswith(detail)
    assert not collector.producer.records


async def test_a_revoked_key_is_403_at_once(collector: Collector, lines: list[bytes]) -> None:
    assert (await collector.post(lines[0])).status_code == 200
    collector.keys.revoke("web")  # as `rta collector keys revoke` in another process
    resp = await collector.post(lines[1])
    assert resp.status_code == 403
    assert resp.json()["detail"].startswith("write key 'web' was revoked at ")
    assert len(collector.producer.records) == 1


async def test_a_key_added_while_running_works_at_once(
    collector: Collector, lines: list[bytes]
) -> None:
    other = KeyStore(collector.keys.path).add("app")
    assert (await collector.post(lines[0], key=other)).status_code == 200


# --- Kafka does not confirm ------------------------------------------------------------


async def test_no_confirmation_in_time_is_503_with_retry_after_and_nothing_accepted(
    tmp_path: Path, lines: list[bytes]
) -> None:
    async with _collector(tmp_path, RecordingProducer(hold=True)) as collector:
        resp = await collector.post(b"\n".join([lines[0], b"{bad", lines[1]]), NDJSON)
        assert resp.status_code == 503
        assert resp.headers["retry-after"] == str(RETRY_AFTER_S)
        assert "none of the request's events were accepted" in resp.json()["detail"]
        text = await collector.metrics()
        assert "rta_collector_events_accepted_total 0.0" in text
        assert "rta_collector_events_rejected_total{" not in text
        assert 'rta_collector_requests_refused_total{status="503"} 1.0' in text
        assert "rta_collector_produce_latency_seconds_count 1.0" in text
        # Kafka is back: the next request is confirmed (the client's retry).
        collector.producer.release()
        assert (await collector.post(lines[0])).status_code == 200


async def test_a_refused_delivery_is_503(tmp_path: Path, lines: list[bytes]) -> None:
    failure = KafkaError(KafkaError._MSG_TIMED_OUT, "Local: Message timed out")
    async with _collector(tmp_path, RecordingProducer(fail=failure)) as collector:
        resp = await collector.post(lines[0])
        assert resp.status_code == 503
        assert "Local: Message timed out" in resp.json()["detail"]
        assert "rta_collector_events_accepted_total 0.0" in await collector.metrics()


# --- health, metrics, OpenAPI, CORS ----------------------------------------------------


async def test_healthz(collector: Collector) -> None:
    resp = await collector.http.get("/healthz")
    assert (resp.status_code, resp.json()) == (200, {"status": "ok"})


async def test_metrics_count_accepted_rejected_by_field_and_latency(
    collector: Collector, lines: list[bytes]
) -> None:
    naive = _event(lines[1], event_timestamp="2026-01-01T10:00:00")
    await collector.post(json.dumps([json.loads(lines[0]), naive, json.loads(lines[2])]))
    await collector.post(b"{broken", NDJSON)
    await collector.post(lines[3], key="wrong")
    resp = await collector.http.get("/metrics")
    assert resp.headers["content-type"].startswith("text/plain; version=")
    text = resp.text
    assert "rta_collector_events_accepted_total 2.0" in text
    assert (
        'rta_collector_events_rejected_total{field="event_timestamp",reason="value_error"} 1.0'
        in text
    )
    assert 'rta_collector_events_rejected_total{field="event",reason="invalid_json"} 1.0' in text
    assert 'rta_collector_requests_refused_total{status="401"} 1.0' in text
    assert "rta_collector_produce_latency_seconds_count 2.0" in text


async def test_openapi_describes_the_contract_the_key_and_the_statuses(
    collector: Collector,
) -> None:
    spec = (await collector.http.get("/openapi.json")).json()
    post = spec["paths"]["/v1/events"]["post"]
    assert set(post["requestBody"]["content"]) == {"application/json", "application/x-ndjson"}
    assert {"200", "400", "401", "403", "413", "415", "503"} <= set(post["responses"])
    assert post["security"] == [{"HTTPBearer": []}]
    schemas = spec["components"]["schemas"]
    assert {"Event", "PageView", "ProductView", "AddToCart", "Purchase"} <= set(schemas)
    mapping = schemas["Event"]["discriminator"]["mapping"]
    assert mapping["page_view"] == "#/components/schemas/PageView"
    assert "event_timestamp" in schemas["PageView"]["required"]


async def test_cors_only_for_the_configured_origins(tmp_path: Path) -> None:
    preflight = {
        "Origin": "https://shop.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    settings = Settings(collector={"cors_origins": ["https://shop.example"]})  # type: ignore[arg-type]
    async with _collector(tmp_path, RecordingProducer(), settings) as collector:
        resp = await collector.http.options("/v1/events", headers=preflight)
        assert resp.status_code == 200
        assert resp.headers["access-control-allow-origin"] == "https://shop.example"
        resp = await collector.http.options(
            "/v1/events", headers={**preflight, "Origin": "https://evil.example"}
        )
        assert "access-control-allow-origin" not in resp.headers
    async with _collector(tmp_path / "none", RecordingProducer()) as collector:
        resp = await collector.http.options("/v1/events", headers=preflight)
        assert "access-control-allow-origin" not in resp.headers


def test_settings_reach_the_app() -> None:
    # A sanity check on the fixture: the limits the tests rely on are the app's.
    app = create_app(SETTINGS, producer=RecordingProducer(), keys=KeyStore(Path("/nonexistent")))
    body = app.openapi()["paths"]["/v1/events"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    assert schema["anyOf"][1]["maxItems"] == 10


@pytest.fixture(autouse=True)
def _no_leftover_threads() -> Iterator[None]:
    import threading

    before = {t.name for t in threading.enumerate()}
    yield
    leftover = {t.name for t in threading.enumerate()} - before
    assert "rta-collector-poll" not in leftover
