"""A client for Flink's SQL Gateway REST API (v3): run statements, get the job id."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from rta.errors import ServiceError
from rta.http import JsonClient


class GatewayError(ServiceError):
    """A statement failed; the message carries Flink's own root cause."""


@dataclass(frozen=True)
class StatementResult:
    statement: str
    job_id: str | None
    rows: list[Any]
    seconds: float


class SqlGateway(JsonClient):
    service = "the Flink SQL Gateway"
    error = GatewayError
    # A statement (a job submission) may take long to compile and start.
    default_timeout_s = 120.0

    def _failure(self, resp: httpx.Response, what: str | None) -> str:
        # The statement's own error is what the SQL author needs; the session and
        # operation handles in the URL would only bury it.
        return _root_cause(resp)

    def run_script(
        self,
        statements: list[str],
        properties: Mapping[str, str] | None = None,
        on_statement: Callable[[StatementResult], None] = lambda _: None,
    ) -> list[StatementResult]:
        """Run statements in order in one session; stop at the first failure."""
        session = self.request(
            "POST",
            "/v3/sessions",
            json={"sessionName": "rta", "properties": dict(properties or {})},
        )["sessionHandle"]
        results = []
        try:
            for stmt in statements:
                result = self._execute(session, stmt)
                on_statement(result)
                results.append(result)
        finally:
            # The session expires on its own; the statements' outcome is what matters.
            with contextlib.suppress(GatewayError):
                self.request("DELETE", f"/v3/sessions/{session}")
        return results

    def _execute(self, session: str, statement: str) -> StatementResult:
        start = time.monotonic()
        op = self.request(
            "POST", f"/v3/sessions/{session}/statements", json={"statement": statement}
        )["operationHandle"]
        token, rows, job_id = 0, [], None
        try:
            while True:
                try:
                    r = self.request(
                        "GET",
                        f"/v3/sessions/{session}/operations/{op}/result/{token}?rowFormat=JSON",
                    )
                except GatewayError as exc:
                    short = " ".join(statement.split())[:160]
                    raise GatewayError(f"{exc}\n  in statement: {short}") from None
                job_id = r.get("jobID") or job_id
                if r.get("resultType") == "NOT_READY":
                    time.sleep(0.1)
                    continue
                rows += (r.get("results") or {}).get("data", [])
                nxt = r.get("nextResultUri")
                if r.get("resultType") == "EOS" or not nxt:
                    break
                token = int(nxt.split("/result/")[1].split("?")[0])
        finally:
            with contextlib.suppress(GatewayError):
                self.request("DELETE", f"/v3/sessions/{session}/operations/{op}/close")
        return StatementResult(statement, job_id, rows, time.monotonic() - start)


def _root_cause(resp: httpx.Response) -> str:
    """Flink answers errors with a Java stack trace; keep the most specific 'Caused by'."""
    try:
        errors = resp.json().get("errors", [])
    except ValueError:
        return f"HTTP {resp.status_code}: {resp.text[:500]}"
    text = "\n".join(str(e) for e in errors)
    causes = [line.strip() for line in text.splitlines() if line.strip().startswith("Caused by:")]
    if causes:
        return causes[-1].removeprefix("Caused by: ")
    first = next((line for line in text.splitlines() if line.strip()), "")
    return first[:500] or f"HTTP {resp.status_code}"
