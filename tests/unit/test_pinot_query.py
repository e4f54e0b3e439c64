"""Parsing and rendering of broker responses (shapes taken from Pinot's /query/sql)."""

from __future__ import annotations

import json

import httpx
import pytest
from typer.testing import CliRunner

from rta.cli import app
from rta.pinot.output import as_csv, as_json
from rta.pinot.query import PinotClient, PinotQueryError, parse_response

OK = {
    "resultTable": {
        "dataSchema": {
            "columnNames": ["window_start", "active_users"],
            "columnDataTypes": ["LONG", "LONG"],
        },
        "rows": [[1795600800000, 42], [1795600860000, 40]],
    },
    "exceptions": [],
    "numDocsScanned": 2,
    "timeUsedMs": 3,
}
ERR = {"exceptions": [{"errorCode": 150, "message": "QueryValidationError:\nUnknown column x"}]}


def test_parse_and_render() -> None:
    result = parse_response(OK)
    assert result.records()[0] == {"window_start": 1795600800000, "active_users": 42}
    assert json.loads(as_json(result))[1]["active_users"] == 40
    assert as_csv(result).splitlines() == [
        "window_start,active_users",
        "1795600800000,42",
        "1795600860000,40",
    ]


def test_pinot_error_message_is_kept() -> None:
    with pytest.raises(PinotQueryError, match="Unknown column x"):
        parse_response(ERR)


def test_query_command_without_broker_fails_cleanly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RTA_PINOT__BROKER_PORT", "1")
    out = CliRunner().invoke(app, ["query", "SELECT 1"])
    assert out.exit_code == 1
    assert "cannot reach the Pinot broker" in out.output
    assert "Traceback" not in out.output


def test_query_options_go_to_the_broker_as_pinot_spells_them() -> None:
    sent: list[dict[str, str]] = []

    def broker(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, json={"resultTable": {"dataSchema": {
            "columnNames": ["n"], "columnDataTypes": ["LONG"]}, "rows": [[1]]}})  # fmt: skip

    client = PinotClient("http://broker:8099", transport=httpx.MockTransport(broker))
    client.query("SELECT 1")
    client.query("SELECT 1", options={"useStarTree": "false", "timeoutMs": "500"})
    assert sent == [
        {"sql": "SELECT 1"},
        {"sql": "SELECT 1", "queryOptions": "useStarTree=false;timeoutMs=500"},
    ]
