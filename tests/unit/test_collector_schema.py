"""The collector against its own OpenAPI document, in process: schemathesis generates
requests from the document (valid ones and broken ones) and sends them over ASGI to an
app producing to a rta.testing.RecordingProducer. No answer may be a server error, and
each must be one the document describes: status, media type, body and headers.

The 503s (Kafka away, delivery thread stopped) are out of the generator's reach, so
they are provoked and checked against the document on their own."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import schemathesis
from confluent_kafka import KafkaError
from fastapi import FastAPI
from hypothesis import settings
from schemathesis import checks
from tests.support.openapi_fuzz import CONFORMANCE, FUZZ_EXAMPLES

from rta.collector.app import RETRY_AFTER_S, create_app
from rta.collector.keys import KeyStore
from rta.settings import Settings
from rta.testing import RecordingProducer, generate_lines

# Small limits, so that the generator reaches the 413s: its arrays go past maxItems.
SETTINGS = Settings(
    collector={"max_batch": 10, "max_body_bytes": 20_000, "produce_timeout_s": 0.3}  # type: ignore[arg-type]
)


def _schema() -> schemathesis.BaseSchema:
    # @parametrize needs the operations at import, before any fixture exists; the
    # document depends neither on the producer nor on the keys, so any app with these
    # settings gives it. (schemathesis.pytest.from_fixture would wait for a fixture, but
    # fails on pytest 9, which has no Node._nodeid.) Not from_asgi: reading
    # /openapi.json over ASGI would start this app's delivery thread at collection.
    app = create_app(SETTINGS, producer=RecordingProducer(), keys=KeyStore(Path("/nonexistent")))
    schema = schemathesis.openapi.from_dict(app.openapi())
    schema.app = app  # calls go in process; each test names the app it calls
    return schema


schema = _schema()


@dataclass
class Served:
    app: FastAPI
    headers: dict[str, str]
    statuses: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))


def _app_with_key(keys_dir: Path, producer: RecordingProducer) -> tuple[FastAPI, dict[str, str]]:
    keys = KeyStore(keys_dir / "keys.json")
    key = keys.add("fuzz")
    return create_app(SETTINGS, producer=producer, keys=keys), {"Authorization": f"Bearer {key}"}


# Module scope: hypothesis runs every example of an operation in one call of the test,
# so the app is shared by them whatever the scope (and hypothesis refuses a
# function-scoped fixture for that reason).
@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = Served(*_app_with_key(tmp_path_factory.mktemp("keys"), RecordingProducer()))
    yield served
    # Conformance alone would pass if, say, the key never reached the app (every answer
    # a documented 401): the generator must have reached each outcome of a post.
    if "POST /v1/events" in served.statuses:
        assert {200, 400, 401, 413, 415} <= served.statuses["POST /v1/events"]


@schema.parametrize()
@settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, database=None)
def test_every_answer_is_documented_and_none_is_a_server_error(
    case: schemathesis.Case, served: Served
) -> None:
    # ignored_auth: a request that succeeds is sent again without the key and with a
    # wrong one, and those must be refused.
    response = case.call_and_validate(
        app=served.app,
        headers=served.headers,
        checks=[checks.not_a_server_error, checks.ignored_auth, *CONFORMANCE],
    )
    served.statuses[case.operation.label].add(response.status_code)


def _valid_event() -> object:
    sink, _ = generate_lines(1, seed=11)
    return json.loads(sink.lines[0])


def test_a_503_from_kafka_is_documented_with_its_retry_after(tmp_path: Path) -> None:
    failure = KafkaError(KafkaError._MSG_TIMED_OUT, "Local: Message timed out")
    app, headers = _app_with_key(tmp_path, RecordingProducer(fail=failure))
    case = schema["/v1/events"]["POST"].Case(body=_valid_event(), media_type="application/json")
    response = case.call(app=app, headers=headers)
    assert response.status_code == 503
    assert response.headers["retry-after"] == [str(RETRY_AFTER_S)]
    case.validate_response(response, checks=CONFORMANCE)


@pytest.mark.anyio
async def test_healthz_503_is_documented() -> None:
    # The app's lifespan is not run here, so its delivery thread never starts.
    app = create_app(SETTINGS, producer=RecordingProducer(), keys=KeyStore(Path("/nonexistent")))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://c") as http:
        response = await http.get("/healthz")
    assert response.status_code == 503
    schema["/healthz"]["GET"].Case().validate_response(response, checks=CONFORMANCE)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
