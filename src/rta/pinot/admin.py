"""rta's Pinot tables: render the JSON definitions and apply them through the controller.

The schemas and table configs live in `rta/pinot/tables/*.json`, the same files the
docker compose deployment mounts. Environment-specific values are `${name}`
placeholders (Kafka bootstrap servers, topic, flush thresholds, replicas) that are
filled here at creation time; any other `$` (e.g. `$1` in a regexpReplace) is left
as it is.

`apply_tables` is idempotent: a definition that the controller already holds is left
alone, a changed one is updated in place (PUT), and the list of changes says which.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

import httpx

from rta import tables as registry
from rta.settings import Settings

__all__ = [
    "TABLES",
    "PinotAdmin",
    "PinotAdminError",
    "TableDef",
    "apply_tables",
    "render_tables",
    "render_text",
    "table_topics",
]

# Creation order. Each REALTIME table reads the Kafka topic of the same contract.
TABLES = tuple(t.name for t in registry.TABLES)


class PinotAdminError(Exception):
    """The controller refused a definition or could not be reached; the message says why."""


class _Placeholders(Template):
    """Only `${lower_case}` is a placeholder; `$1`, `$$` and bare `$name` stay as they are."""

    flags = re.RegexFlag(0)  # not IGNORECASE: ${UPPER} is left for shells and compose

    pattern = r"""
    \$(?:
      (?P<escaped>(?!))               |
      (?P<named>(?!))                 |
      \{(?P<braced>[a-z_][a-z0-9_]*)\} |
      (?P<invalid>(?!))
    )
    """  # type: ignore[assignment]


def render_text(text: str, values: dict[str, object]) -> str:
    """Fill `${name}` placeholders; an unknown name raises KeyError naming it."""
    return _Placeholders(text).substitute({k: str(v) for k, v in values.items()})


@dataclass(frozen=True)
class TableDef:
    name: str
    topic: str
    schema: dict[str, Any]
    table: dict[str, Any]


def table_topics(settings: Settings) -> dict[str, str]:
    """The Kafka topic each table consumes (rta.tables)."""
    return {t.name: registry.table_topic(t, settings) for t in registry.TABLES}


def _read(name: str, directory: Path | None = None) -> str:
    """A definition file from `pinot.tables_dir` (compose mounts them), else the package."""
    if directory is not None:
        return (directory / name).read_text()
    return resources.files("rta.pinot").joinpath("tables", name).read_text()


def render_tables(settings: Settings) -> list[TableDef]:
    """Every schema and table config with its placeholders filled from the settings."""
    p = settings.pinot
    topics = table_topics(settings)
    result = []
    for name in TABLES:
        values: dict[str, object] = {
            "kafka_bootstrap": p.kafka_bootstrap or settings.kafka.bootstrap,
            "topic": topics[name],
            "flush_rows": p.flush_rows,
            "flush_time": p.flush_time,
            "replicas": p.replicas,
        }
        docs = []
        for kind in ("schema", "table"):
            file = f"{name}.{kind}.json"
            try:
                docs.append(json.loads(render_text(_read(file, p.tables_dir), values)))
            except KeyError as exc:
                raise ValueError(f"{file}: unknown placeholder ${{{exc.args[0]}}}") from None
        result.append(TableDef(name, topics[name], docs[0], docs[1]))
    return result


def _same(desired: Any, actual: Any) -> bool:
    """True if everything `desired` says is also what `actual` holds.

    The controller returns definitions with defaults filled in, so keys that only
    `actual` has are ignored; scalars compare by their text ("1" == 1, true == "true").
    """
    if isinstance(desired, dict):
        return isinstance(actual, dict) and all(
            _same(v, actual[k]) if k in actual else v in ([], {}) for k, v in desired.items()
        )
    if isinstance(desired, list):
        return (
            isinstance(actual, list)
            and len(desired) == len(actual)
            and all(_same(d, a) for d, a in zip(desired, actual, strict=True))
        )
    return _text(desired) == _text(actual)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


class PinotAdmin:
    """A small client for the controller's schema and table API."""

    def __init__(
        self,
        controller_url: str,
        timeout_s: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = controller_url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, timeout=timeout_s, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PinotAdmin:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise PinotAdminError(
                f"cannot reach the Pinot controller at {self.url} ({exc})"
            ) from None

    def _check(self, resp: httpx.Response, what: str) -> None:
        if resp.status_code >= 400:
            raise PinotAdminError(
                f"{what}: controller answered HTTP {resp.status_code}: {_message(resp)}"
            )

    def healthy(self) -> bool:
        try:
            return self._http.get("/health").status_code == 200
        except httpx.TransportError:
            return False

    def tables(self) -> list[str]:
        resp = self._call("GET", "/tables")
        self._check(resp, "listing tables")
        return list(resp.json().get("tables", []))

    def schema(self, name: str) -> dict[str, Any] | None:
        resp = self._call("GET", f"/schemas/{name}")
        if resp.status_code == 404:
            return None
        self._check(resp, f"reading schema {name}")
        return resp.json()  # type: ignore[no-any-return]

    def realtime_table(self, name: str) -> dict[str, Any] | None:
        resp = self._call("GET", f"/tables/{name}", params={"type": "realtime"})
        if resp.status_code == 404:
            return None
        self._check(resp, f"reading table {name}")
        return resp.json().get("REALTIME")  # type: ignore[no-any-return]

    def apply_schema(self, schema: dict[str, Any]) -> str | None:
        """Create or update a schema; return what changed, or None if it was up to date."""
        name = schema["schemaName"]
        current = self.schema(name)
        if current is None:
            resp = self._call("POST", "/schemas", json=schema)
            self._check(resp, f"creating schema {name}")
            return f"created schema {name}"
        if _same(schema, current):
            return None
        # reload: segments that already exist pick up added columns (with defaults); the
        # controller refuses to reload a table that does not exist yet.
        reload = self.realtime_table(name) is not None
        resp = self._call(
            "PUT", f"/schemas/{name}", params={"reload": str(reload).lower()}, json=schema
        )
        if resp.status_code >= 400:
            raise PinotAdminError(
                f"schema {name} differs from the one in Pinot and the controller refused to "
                f"update it (HTTP {resp.status_code}: {_message(resp)}). Pinot only accepts "
                "backward-compatible changes such as added columns; for anything else drop "
                f"the table and schema (DELETE {self.url}/tables/{name}, then /schemas/{name}) "
                "and run `rta stack up` again."
            )
        return f"updated schema {name}"

    def apply_table(self, table: dict[str, Any]) -> str | None:
        """Create or update a REALTIME table; return what changed, or None if up to date."""
        name = table["tableName"]
        current = self.realtime_table(name)
        if current is None:
            resp = self._call("POST", "/tables", json=table)
            self._check(resp, f"creating table {name}")
            return f"created table {name}"
        # The controller names it "<name>_REALTIME"; everything else must match.
        if _same({k: v for k, v in table.items() if k != "tableName"}, current):
            return None
        resp = self._call("PUT", f"/tables/{name}", json=table)
        self._check(resp, f"updating table {name}")
        return f"updated table {name}"


def _message(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:500]
    if isinstance(body, dict):
        return str(body.get("_error") or body.get("error") or body)[:500]
    return str(body)[:500]


def apply_tables(
    settings: Settings,
    admin: PinotAdmin | None = None,
    existing_topics: set[str] | None = None,
) -> list[str]:
    """Create or update every schema and table; return the changes (empty = nothing to do).

    A REALTIME table is only created once its topic exists: `existing_topics` is read
    from Kafka unless given.
    """
    defs = render_tables(settings)
    if existing_topics is None:
        existing_topics = _kafka_topics(settings)
    missing = sorted({d.topic for d in defs} - existing_topics)
    if missing:
        raise PinotAdminError(
            f"Kafka topic(s) {', '.join(missing)} do not exist at {settings.kafka.bootstrap}; "
            "Pinot's tables consume them. A local Kafka gets them from `rta stack up`."
        )
    own = admin is None
    client = admin or PinotAdmin(settings.pinot.controller)
    try:
        changes = []
        for d in defs:
            for change in (client.apply_schema(d.schema), client.apply_table(d.table)):
                if change:
                    changes.append(change)
        return changes
    finally:
        if own:
            client.close()


def _kafka_topics(settings: Settings) -> set[str]:
    from rta.kafka.client import make_admin

    try:
        return set(make_admin(settings).list_topics(timeout=15).topics)
    except Exception as exc:  # KafkaException: broker unreachable
        raise PinotAdminError(
            f"cannot list Kafka topics at {settings.kafka.bootstrap} ({exc})"
        ) from None
