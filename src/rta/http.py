"""JSON over HTTP to the engines' REST APIs: one client base for Flink's REST API and
SQL Gateway and Pinot's controller and broker; and `listen`, the socket of rta's own
HTTP servers (the collector, the dashboard).

A subclass names its service and its error type; the base turns every failure into
that error with a message that names the service, the URL and what it answered, so
no caller ever sees an httpx exception. Retries are off unless asked for: the
readiness probes and health checks poll on their own deadlines, and a second POST
could run a statement twice.
"""

from __future__ import annotations

import socket
from functools import partial
from typing import Any, ClassVar, Self

import httpx
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from rta.errors import RtaError, ServiceError

__all__ = ["JsonClient", "listen"]

# Methods a server may safely see twice, so a retry after a lost answer is harmless.
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class JsonClient:
    """A synchronous client for one service's JSON API, used as a context manager."""

    service: ClassVar[str] = "the service"
    """Names the service in messages ("the Pinot broker")."""
    error: ClassVar[type[ServiceError]] = ServiceError
    """Raised for every failure; catch this one type."""
    unavailable_error: ClassVar[type[ServiceError] | None] = None
    """Raised instead of `error` when no answer came (None: `error`)."""
    unreachable_hint: ClassVar[str] = ""
    """Appended to the message when the service cannot be reached."""
    default_timeout_s: ClassVar[float] = 30.0

    def __init__(
        self,
        url: str,
        timeout_s: float | None = None,
        *,
        retries: int = 0,
        retry_wait_s: float = 0.5,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """`retries`: further attempts after a transport error (connection refused, no
        answer), waiting `retry_wait_s`, then twice as long each time. `transport`
        replaces the network (httpx.MockTransport in tests)."""
        self.url = url.rstrip("/")
        self.retries = retries
        self._retry_wait_s = retry_wait_s
        self._http = httpx.Client(
            base_url=self.url,
            timeout=self.default_timeout_s if timeout_s is None else timeout_s,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        """The response, whatever its status; raises if none came (after any retries)."""
        retrying = Retrying(
            stop=stop_after_attempt(self.retries + 1),
            wait=wait_exponential(multiplier=self._retry_wait_s, max=10),
            retry=retry_if_exception(partial(_retryable, method.upper())),
            reraise=True,
        )
        try:
            return retrying(self._http.request, method, path, json=json, params=params)
        except httpx.TransportError as exc:
            raise (self.unavailable_error or self.error)(
                self._unreachable(method, path, exc)
            ) from None

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        what: str | None = None,
        missing_ok: bool = False,
    ) -> Any:
        """The decoded JSON answer ({} if the body is empty).

        HTTP >= 400 raises `error`, its message starting with `what` when given
        ("creating table x"); with `missing_ok`, a 404 returns None instead.
        """
        resp = self.send(method, path, json=json, params=params)
        if missing_ok and resp.status_code == 404:
            return None
        if resp.status_code >= 400:
            error = self.error(self._failure(resp, what))
            error.status = resp.status_code
            raise error
        if not resp.content:
            return {}
        try:
            return resp.json()
        except ValueError:
            raise self.error(
                f"{self.service} answered {method} {resp.request.url} with HTTP "
                f"{resp.status_code} but not JSON: {resp.text[:200]}"
            ) from None

    def _failure(self, resp: httpx.Response, what: str | None) -> str:
        """The message for an answer with HTTP >= 400."""
        message = (
            f"{self.service} answered {resp.request.method} {resp.request.url} "
            f"with HTTP {resp.status_code}: {self._detail(resp)}"
        )
        return f"{what}: {message}" if what else message

    def _detail(self, resp: httpx.Response) -> str:
        """What the service said was wrong, from its error body."""
        try:
            body = resp.json()
        except ValueError:
            return resp.text[:500]
        if isinstance(body, dict):
            for key in ("_error", "error", "message", "errors"):
                if body.get(key):
                    return str(body[key])[:500]
        return str(body)[:500]

    def _unreachable(self, method: str, path: str, exc: httpx.TransportError) -> str:
        why = str(exc) or type(exc).__name__
        if self.retries:
            why += f"; {self.retries + 1} attempts"
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.UnsupportedProtocol):
            message = f"cannot reach {self.service} at {self.url} ({why})"
        else:
            message = f"{self.service} at {self.url} gave no answer to {method} {path} ({why})"
        return f"{message}; {self.unreachable_hint}" if self.unreachable_hint else message


def _retryable(method: str, exc: BaseException) -> bool:
    if isinstance(exc, httpx.UnsupportedProtocol):
        return False  # a URL without http:// stays wrong
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return True  # the request never left, whatever its method
    return isinstance(exc, httpx.TransportError) and method in _IDEMPOTENT


def listen(host: str, port: int, error: type[RtaError], env_var: str) -> socket.socket:
    """A listening socket on host:port, bound before the server starts, or `error`
    saying why not: uvicorn's own bind error would only be logged, after the app had
    started, and requests could be lost to a server that never served."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        raise error(
            f"cannot listen on {host}:{port}: {exc.strerror} (another port: --port or {env_var})"
        ) from None
