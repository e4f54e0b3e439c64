"""The JSON client base (rta.http) and the four engine clients on it, against
httpx.MockTransport: what a failure says, which error it is, and when it is retried."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from rta.errors import ServiceError, ServiceUnavailableError
from rta.http import JsonClient
from rta.pinot.admin import PinotAdmin, PinotAdminError
from rta.pinot.query import PinotClient, PinotQueryError, PinotUnavailableError
from rta.pipeline.gateway import GatewayError, SqlGateway
from rta.pipeline.jobs import FlinkRest, FlinkRestError

Handler = Callable[[httpx.Request], httpx.Response]


class DemoError(ServiceError):
    pass


class Demo(JsonClient):
    service = "the demo service"
    error = DemoError


def _client(handler: Handler, cls: type[JsonClient] = Demo, **kwargs: Any) -> Any:
    return cls("http://svc:1/api/", transport=httpx.MockTransport(handler), **kwargs)


def _failing(exc: type[httpx.TransportError], then: httpx.Response | None = None) -> Any:
    """A handler that raises `exc` until it has been called twice, then answers `then`."""
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if then is None or len(calls) <= 2:
            raise exc("no route", request=request)
        return then

    handler.calls = calls  # type: ignore[attr-defined]
    return handler


def test_request_decodes_json_and_joins_the_base_url() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return (
            httpx.Response(200, json={"ok": True})
            if request.method == "GET"
            else (httpx.Response(204))
        )

    with _client(handler) as client:
        assert client.url == "http://svc:1/api"
        assert client.request("GET", "/x?a=1", params=None) == {"ok": True}
        assert client.request("DELETE", "/x") == {}
    assert seen[0] == "http://svc:1/api/x?a=1"
    assert client._http.is_closed


def test_an_error_status_names_service_request_and_reason() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"_error": "Invalid schema"})

    client = _client(handler)
    with pytest.raises(DemoError) as caught:
        client.request("POST", "/schemas", json={}, what="creating schema s")
    assert str(caught.value) == (
        "creating schema s: the demo service answered POST http://svc:1/api/schemas "
        "with HTTP 400: Invalid schema"
    )
    assert caught.value.status == 400  # for callers that explain it in words


def test_missing_ok_turns_404_into_none_and_bad_json_is_an_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/gone"):
            return httpx.Response(404, text="not here")
        return httpx.Response(200, text="<html>")

    client = _client(handler)
    assert client.request("GET", "/gone", missing_ok=True) is None
    with pytest.raises(DemoError, match="HTTP 404: not here"):
        client.request("GET", "/gone")
    with pytest.raises(DemoError, match="with HTTP 200 but not JSON: <html>"):
        client.request("GET", "/page")


def test_unreachable_is_the_clients_error_naming_service_and_url() -> None:
    client = _client(_failing(httpx.ConnectError))
    with pytest.raises(DemoError, match=r"^cannot reach the demo service at http://svc:1/api "):
        client.request("GET", "/x")


def test_connect_errors_are_retried_for_any_method() -> None:
    handler = _failing(httpx.ConnectError, then=httpx.Response(200, json=[1]))
    client = _client(handler, retries=2, retry_wait_s=0)
    assert client.request("POST", "/x", json={}) == [1]
    assert handler.calls == ["POST"] * 3


def test_a_lost_answer_is_retried_only_where_a_second_request_is_harmless() -> None:
    handler = _failing(httpx.ReadTimeout, then=httpx.Response(200, json={}))
    client = _client(handler, retries=2, retry_wait_s=0)
    with pytest.raises(DemoError, match=r"gave no answer to POST /x \(no route; 3 attempts\)"):
        client.request("POST", "/x")
    assert handler.calls == ["POST"]
    assert client.request("GET", "/x") == {}
    assert handler.calls == ["POST", "GET", "GET"]


def test_retries_give_up_after_the_last_attempt() -> None:
    handler = _failing(httpx.ConnectError)
    client = _client(handler, retries=1, retry_wait_s=0)
    with pytest.raises(DemoError, match="2 attempts"):
        client.request("GET", "/x")
    assert len(handler.calls) == 2


def test_the_engine_clients_share_the_base_and_the_tree() -> None:
    for cls, error in [
        (SqlGateway, GatewayError),
        (FlinkRest, FlinkRestError),
        (PinotAdmin, PinotAdminError),
        (PinotClient, PinotQueryError),
    ]:
        assert issubclass(cls, JsonClient) and cls.error is error
        assert issubclass(error, ServiceError)
    assert SqlGateway("http://g")._http.timeout.read == 120.0
    assert FlinkRest("http://f", timeout_s=5)._http.timeout.read == 5


def test_an_unreachable_broker_is_unavailable_with_a_hint() -> None:
    client = _client(_failing(httpx.ConnectError), PinotClient)
    with pytest.raises(PinotUnavailableError) as caught:
        client.query("SELECT 1")
    assert isinstance(caught.value, PinotQueryError)
    assert isinstance(caught.value, ServiceUnavailableError)
    assert "cannot reach the Pinot broker at http://svc:1/api" in str(caught.value)
    assert str(caught.value).endswith("; is the stack up? (`rta up`)")


def test_pinot_admin_is_not_healthy_when_unreachable() -> None:
    assert not _client(_failing(httpx.ConnectError), PinotAdmin).healthy()
    assert _client(lambda r: httpx.Response(200, text="OK"), PinotAdmin).healthy()


FLINK_TRACE = (
    "org.apache.flink.table.gateway.api.utils.SqlGatewayException: Failed to fetchResults.\n"
    "\tat org.apache.flink...\n"
    "Caused by: org.apache.flink.table.api.TableException: outer\n"
    "Caused by: org.apache.flink.table.api.ValidationException: Object 'nope' not found\n"
    "\t... 12 more"
)


def _gateway(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if request.method == "DELETE":
        return httpx.Response(200, json={"status": "CLOSED"})
    if path == "/api/v3/sessions":
        return httpx.Response(200, json={"sessionHandle": "s1"})
    if path.endswith("/statements"):
        sql = json.loads(request.content)["statement"]
        return httpx.Response(200, json={"operationHandle": "bad" if "nope" in sql else "ok"})
    if "/operations/bad/" in path:
        return httpx.Response(500, json={"errors": ["Internal server error.", FLINK_TRACE]})
    return httpx.Response(200, json={"resultType": "EOS", "jobID": "j1", "results": {}})


def test_a_failed_statement_carries_flinks_root_cause() -> None:
    with _client(_gateway, SqlGateway) as gateway:
        ok = gateway.run_script(["SET 'a' = 'b'"])
        assert [r.job_id for r in ok] == ["j1"]
        with pytest.raises(GatewayError) as caught:
            gateway.run_script(["INSERT INTO nope\n  SELECT 1"])
    assert str(caught.value) == (
        "org.apache.flink.table.api.ValidationException: Object 'nope' not found\n"
        "  in statement: INSERT INTO nope SELECT 1"
    )


def test_flink_rest_overview_and_metrics() -> None:
    seen: list[str] = []
    overview = [
        {"jid": "a", "name": "rta-pipeline", "state": "CANCELED", "start-time": 1, "duration": 1},
        {"jid": "b", "name": "other", "state": "RUNNING", "start-time": 2, "duration": 1},
        {"jid": "c", "name": "rta-pipeline", "state": "RUNNING", "start-time": 3, "duration": 1},
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode())
        if request.url.path.endswith("/jobs/overview"):
            return httpx.Response(200, json={"jobs": overview})
        return httpx.Response(200, json=[{"id": "numRecordsOutPerSecond", "sum": 12.5}])

    rest = _client(handler, FlinkRest)
    assert rest.jobs_overview() == overview
    assert [j.job_id for j in rest.jobs()] == ["c", "a"]
    assert rest.active_job().job_id == "c"  # type: ignore[union-attr]
    assert rest.records_out_per_second("c", "v") == 12.5
    assert rest.subtask_metrics("c", "v", ["x", "y"])[0]["sum"] == 12.5
    assert seen[-2:] == [
        "/api/jobs/c/vertices/v/subtasks/metrics?get=numRecordsOutPerSecond&agg=sum",
        "/api/jobs/c/vertices/v/subtasks/metrics?get=x,y",
    ]


def test_flink_rest_errors_name_the_request() -> None:
    rest = _client(lambda r: httpx.Response(404, json={"errors": ["Job j not found"]}), FlinkRest)
    with pytest.raises(FlinkRestError, match=r"answered GET http://svc:1/api/jobs/j with HTTP 404"):
        rest.job("j")
