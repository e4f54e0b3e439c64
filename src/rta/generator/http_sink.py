"""Posting generated events to an rta collector over HTTP, as NDJSON batches.

The generator only speaks the collector's HTTP API here (it imports nothing of
rta.collector): a batch counts as delivered when the collector answered 200 or 400,
which it does only after Kafka confirmed every event of the batch. A 503 (Kafka did
not confirm in time) or a lost connection is retried after the Retry-After the
collector asked for; a retried batch may have been written in part before, and the
pipeline drops those duplicates by event_id.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from rta.generator.sinks import SinkError

__all__ = ["HttpSink"]

# The collector's media type for one event per line.
NDJSON = "application/x-ndjson"
_backoff = wait_exponential(multiplier=0.5, max=10)


class _TryAgain(Exception):
    """The batch was not taken but may be later: 503, or no answer at all."""

    def __init__(self, why: str, after_s: float | None = None) -> None:
        super().__init__(why)
        self.after_s = after_s


def _wait(state: RetryCallState) -> float:
    """The collector's Retry-After when it gave one (capped), else exponential."""
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, _TryAgain) and exc.after_s is not None:
        return min(exc.after_s, 30.0)
    return float(_backoff(state))


def _retry_after(resp: httpx.Response) -> float | None:
    value = resp.headers.get("retry-after", "")
    return float(value) if value.isdigit() else None


def _detail(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:300]
    return str(body.get("detail", body) if isinstance(body, dict) else body)[:300]


class HttpSink:
    """Batches of records to `POST {url}/v1/events`; the write key goes as a Bearer token.

    Raises SinkError at once if the collector does not answer /healthz, and from
    write() when it refuses a batch for good (a bad key: 401/403, too large: 413) or
    is still unavailable after `attempts` tries.
    """

    def __init__(
        self,
        url: str,
        key: str,
        *,
        batch: int = 1000,
        timeout_s: float = 30.0,
        attempts: int = 6,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], Any] | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.accepted = 0
        self.rejected = 0
        self.waited_s = 0.0
        """Seconds spent waiting to retry (the collector answered 503 or not at all)."""
        self._batch = max(1, batch)
        self._http = httpx.Client(base_url=self.url, timeout=timeout_s, transport=transport)
        self._headers = {"Authorization": f"Bearer {key}", "Content-Type": NDJSON}
        pause = sleep or time.sleep

        def sleep_counted(seconds: float) -> None:
            self.waited_s += seconds
            pause(seconds)

        self._retrying = Retrying(
            stop=stop_after_attempt(attempts),
            wait=_wait,
            retry=retry_if_exception_type(_TryAgain),
            reraise=True,
            sleep=sleep_counted,
        )
        try:
            self._http.get("/healthz").raise_for_status()
        except httpx.HTTPError as exc:
            self._http.close()
            raise SinkError(
                f"cannot reach the collector at {self.url} ({exc}) — is it running? "
                "(`rta collector`)"
            ) from None

    def write(self, values: list[str], keys: list[bytes]) -> None:
        for start in range(0, len(values), self._batch):
            lines = values[start : start + self._batch]
            body = ("\n".join(lines) + "\n").encode()
            try:
                self._retrying(self._post, body)
            except _TryAgain as exc:
                raise SinkError(
                    f"{len(lines)} record(s) were not delivered to the collector at "
                    f"{self.url}: {exc}"
                ) from None

    def _post(self, body: bytes) -> None:
        try:
            resp = self._http.post("/v1/events", content=body, headers=self._headers)
        except httpx.TransportError as exc:
            raise _TryAgain(f"no answer ({exc or type(exc).__name__})") from None
        if resp.status_code == 503:
            raise _TryAgain(f"HTTP 503: {_detail(resp)}", _retry_after(resp))
        if resp.status_code not in (200, 400):
            raise SinkError(
                f"the collector at {self.url} refused a batch: HTTP {resp.status_code}: "
                f"{_detail(resp)}"
            )
        # 400 is an answer too: every event of the batch broke the contract (as the
        # generator's --invalid-fraction asks) and is kept in the dead-letter topic.
        try:
            result = resp.json()
            self.accepted += int(result["accepted"])
            self.rejected += len(result["rejected"])
        except (ValueError, KeyError, TypeError):
            raise SinkError(
                f"{self.url} answered HTTP {resp.status_code} but not as an rta collector: "
                f"{resp.text[:200]}"
            ) from None

    def close(self) -> None:
        self._http.close()
