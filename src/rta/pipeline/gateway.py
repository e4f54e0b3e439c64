"""A client for Flink's SQL Gateway REST API (v3): run statements, get the job id."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx


class GatewayError(Exception):
    """A statement failed; the message carries Flink's own root cause."""


@dataclass(frozen=True)
class StatementResult:
    statement: str
    job_id: str | None
    rows: list[Any]
    seconds: float


class SqlGateway:
    def __init__(self, url: str, timeout_s: float = 120.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(timeout=timeout_s)

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        try:
            resp = self._http.request(method, self.url + path, json=body)
        except httpx.TransportError as exc:
            raise GatewayError(f"cannot reach the Flink SQL Gateway at {self.url}: {exc}") from None
        if resp.status_code >= 400:
            raise GatewayError(_root_cause(resp))
        return resp.json() if resp.content else {}

    def run_script(
        self,
        statements: list[str],
        properties: Mapping[str, str] | None = None,
        on_statement: Callable[[StatementResult], None] = lambda _: None,
    ) -> list[StatementResult]:
        """Run statements in order in one session; stop at the first failure."""
        session = self._call(
            "POST", "/v3/sessions", {"sessionName": "rta", "properties": dict(properties or {})}
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
                self._call("DELETE", f"/v3/sessions/{session}")
        return results

    def _execute(self, session: str, statement: str) -> StatementResult:
        start = time.monotonic()
        op = self._call("POST", f"/v3/sessions/{session}/statements", {"statement": statement})[
            "operationHandle"
        ]
        token, rows, job_id = 0, [], None
        try:
            while True:
                try:
                    r = self._call(
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
                self._call("DELETE", f"/v3/sessions/{session}/operations/{op}/close")
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
