"""rta's Pinot tables: render the JSON definitions and apply them through the controller.

The schemas and table configs live in `rta/pinot/tables/*.json`, the same files the
docker compose deployment mounts. Environment-specific values are `${name}`
placeholders (Kafka bootstrap servers, topic, flush thresholds, replicas) that are
filled here at creation time by `rta.templates.fill`; any other `$` (e.g. `$1` in a
regexpReplace) is left as it is.

`apply_tables` is idempotent: a definition that the controller already holds is left
alone, a changed one is updated in place (PUT), and the list of changes says which.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from rta import tables as registry
from rta.errors import ServiceError
from rta.http import JsonClient
from rta.settings import Settings
from rta.templates import fill_file

__all__ = [
    "TABLES",
    "PinotAdmin",
    "PinotAdminError",
    "TableDef",
    "apply_tables",
    "render_tables",
    "table_topics",
]

# Creation order. Each REALTIME table reads the Kafka topic of the same contract.
TABLES = tuple(t.name for t in registry.TABLES)


class PinotAdminError(ServiceError):
    """The controller refused a definition or could not be reached; the message says why."""


@dataclass(frozen=True)
class TableDef:
    name: str
    topic: str
    schema: dict[str, Any]
    table: dict[str, Any]


def table_topics(settings: Settings) -> dict[str, str]:
    """The Kafka topic each table consumes (rta.tables)."""
    return {t.name: registry.table_topic(t, settings) for t in registry.TABLES}


def _source(name: str, directory: Path | None = None) -> Traversable:
    """A definition file from `pinot.tables_dir` (compose mounts them), else the package."""
    if directory is not None:
        return directory / name
    return resources.files("rta.pinot").joinpath("tables", name)


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
            "session_flush_rows": p.session_flush_rows,
            "flush_time": p.flush_time,
            "replicas": p.replicas,
        }
        schema, table = (
            json.loads(fill_file(_source(f"{name}.{kind}.json", p.tables_dir), **values))
            for kind in ("schema", "table")
        )
        result.append(TableDef(name, topics[name], schema, table))
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


# Where a table's primary-key hashing lives; Pinot keeps one map entry per key on the
# server heap (dedup: every event_id; upsert: every result key), and 0.11 has no TTL.
_KEY_HASHING = ("dedupConfig", "upsertConfig")


def keep_key_hashing(table: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """`table` with the hashFunction an existing table already has.

    A server builds its key map with the hash function at the time it loads or consumes
    a segment: switching on a live table would leave the old keys unhashed and the new
    ones hashed, so a duplicate or update across the switch would be missed (two valid
    rows for one key). The hashing is fixed when the table is created; a new table (a
    fresh state directory) gets what the JSON says.
    """
    kept = dict(table)
    for section in _KEY_HASHING:
        now = (current.get(section) or {}).get("hashFunction")
        if section in table and now is not None:
            kept[section] = {**table[section], "hashFunction": now}
    return kept


class PinotAdmin(JsonClient):
    """A small client for the controller's schema and table API."""

    service = "the Pinot controller"
    error = PinotAdminError

    def healthy(self) -> bool:
        try:
            return self.send("GET", "/health").status_code == 200
        except PinotAdminError:
            return False

    def tables(self) -> list[str]:
        return list(self.request("GET", "/tables", what="listing tables").get("tables", []))

    def schema(self, name: str) -> dict[str, Any] | None:
        return self.request(  # type: ignore[no-any-return]
            "GET", f"/schemas/{name}", what=f"reading schema {name}", missing_ok=True
        )

    def realtime_table(self, name: str) -> dict[str, Any] | None:
        found = self.request(
            "GET",
            f"/tables/{name}",
            params={"type": "realtime"},
            what=f"reading table {name}",
            missing_ok=True,
        )
        return None if found is None else found.get("REALTIME")

    def apply_schema(self, schema: dict[str, Any]) -> str | None:
        """Create or update a schema; return what changed, or None if it was up to date."""
        name = schema["schemaName"]
        current = self.schema(name)
        if current is None:
            self.request("POST", "/schemas", json=schema, what=f"creating schema {name}")
            return f"created schema {name}"
        if _same(schema, current):
            return None
        # No reload here: apply_tables reloads once the table config (a new column's
        # transform) is in place too, or the column would be filled with defaults.
        resp = self.send("PUT", f"/schemas/{name}", params={"reload": "false"}, json=schema)
        if resp.status_code >= 400:
            raise PinotAdminError(
                f"schema {name} differs from the one in Pinot and the controller refused to "
                f"update it (HTTP {resp.status_code}: {self._detail(resp)}). Pinot only accepts "
                "backward-compatible changes such as added columns; for anything else drop "
                f"the table and schema (DELETE {self.url}/tables/{name}, then /schemas/{name}) "
                "and run `rta provision` again."
            )
        return f"updated schema {name}"

    def apply_table(self, table: dict[str, Any], current: dict[str, Any] | None) -> str | None:
        """Create or update a REALTIME table, `current` being Pinot's config of it (None:
        not there yet); return what changed, or None if up to date."""
        name = table["tableName"]
        if current is None:
            self.request("POST", "/tables", json=table, what=f"creating table {name}")
            return f"created table {name}"
        table = keep_key_hashing(table, current)
        # The controller names it "<name>_REALTIME"; everything else must match.
        if _same({k: v for k, v in table.items() if k != "tableName"}, current):
            return None
        self.request("PUT", f"/tables/{name}", json=table, what=f"updating table {name}")
        return f"updated table {name}"

    def reload(self, name: str) -> str:
        """Reload a table's segments: committed ones build changed indexes (a star-tree)
        and new columns, computed by their transform when it has one. A column added
        to a segment once keeps its values: reload after the table config is updated.
        Rows a consuming segment already holds keep the old schema until it commits."""
        self.request(
            "POST",
            f"/segments/{name}/reload",
            params={"type": "REALTIME"},
            what=f"reloading the segments of {name}",
        )
        return f"reloaded the segments of {name}"


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
            "Pinot's tables consume them. `rta provision` creates them."
        )
    own = admin is None
    client = admin or PinotAdmin(settings.pinot.controller)
    try:
        changes = []
        for d in defs:
            current = client.realtime_table(d.name)
            done = [
                c
                for c in (client.apply_schema(d.schema), client.apply_table(d.table, current))
                if c
            ]
            if done and current is not None:
                done.append(client.reload(d.name))
            changes.extend(done)
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
