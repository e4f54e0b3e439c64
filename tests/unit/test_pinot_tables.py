"""Pinot schemas and table configs as files: they render, cover the contract, and apply
idempotently (against a fake controller; the real one is in tests/integration)."""

from __future__ import annotations

import copy
import json
import re
from importlib import resources
from typing import Any

import httpx
import pytest

from rta.events import AddToCart, PageView, ProductView, Purchase
from rta.pinot.admin import (
    TABLES,
    PinotAdmin,
    PinotAdminError,
    TableDef,
    apply_tables,
    render_tables,
)
from rta.pinot.query import QueryResult
from rta.pinot.report import build_report
from rta.settings import KafkaSettings, PinotSettings, Settings

TABLE_DIR = resources.files("rta.pinot").joinpath("tables")
UPSERT_TABLES = {
    "active_users_per_minute": (["window_start"], "window_start"),
    "product_analytics_per_minute": (["window_start", "product_id"], "window_start"),
    "session_analytics": (["session_id", "user_id"], "session_end"),
}


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    return Settings(
        state_dir=tmp_path,
        kafka=KafkaSettings(port=19999, accepted_topic="accepted_x"),
        pinot=PinotSettings(
            kafka_bootstrap="kafka.internal:29092",
            flush_rows=1234,
            session_flush_rows=4321,
            replicas=2,
        ),
    )


@pytest.fixture
def defs(settings: Settings) -> dict[str, TableDef]:
    return {d.name: d for d in render_tables(settings)}


def _fields(schema: dict[str, Any]) -> dict[str, str]:
    specs = [
        *schema.get("dimensionFieldSpecs", []),
        *schema.get("metricFieldSpecs", []),
        *schema.get("dateTimeFieldSpecs", []),
    ]
    return {s["name"]: s["dataType"] for s in specs}


def test_every_table_has_a_schema_and_a_config_file() -> None:
    files = sorted(p.name for p in TABLE_DIR.iterdir() if p.name.endswith(".json"))
    assert files == sorted(f"{t}.{k}.json" for t in TABLES for k in ("schema", "table"))


def test_files_hold_placeholders_not_hosts() -> None:
    for name in TABLES:
        text = TABLE_DIR.joinpath(f"{name}.table.json").read_text()
        assert '"stream.kafka.broker.list": "${kafka_bootstrap}"' in text
        assert '"stream.kafka.topic.name": "${topic}"' in text
        assert not re.search(r"localhost|127\.0\.0\.1|:9092", text)


def test_rendered_json_has_every_placeholder_filled(
    settings: Settings, defs: dict[str, TableDef]
) -> None:
    assert list(defs) == list(TABLES)
    for d in defs.values():
        text = json.dumps([d.schema, d.table])
        assert "${" not in text
        streams = d.table["tableIndexConfig"]["streamConfigs"]
        assert streams["stream.kafka.broker.list"] == "kafka.internal:29092"
        rows = "4321" if d.name == "session_analytics" else "1234"
        assert streams["realtime.segment.flush.threshold.rows"] == rows
        assert streams["realtime.segment.flush.threshold.time"] == "1h"
        assert d.table["segmentsConfig"]["replicasPerPartition"] == "2"
    assert defs["raw_events"].topic == "accepted_x"
    assert defs["session_analytics"].topic == "session_analytics"
    assert (
        defs["raw_events"].table["tableIndexConfig"]["streamConfigs"]["stream.kafka.topic.name"]
        == "accepted_x"
    )


def test_kafka_bootstrap_defaults_to_kafka_settings(tmp_path: Any) -> None:
    s = Settings(state_dir=tmp_path, kafka=KafkaSettings(port=19999))
    for d in render_tables(s):
        assert d.table["tableIndexConfig"]["streamConfigs"]["stream.kafka.broker.list"] == (
            "127.0.0.1:19999"
        )


def test_stream_configs_follow_the_local_conventions(defs: dict[str, TableDef]) -> None:
    for d in defs.values():
        assert d.table["tableName"] == d.name == d.schema["schemaName"]
        assert d.table["tableType"] == "REALTIME"
        assert d.table["routing"]["instanceSelectorType"] == "strictReplicaGroup"
        streams = d.table["tableIndexConfig"]["streamConfigs"]
        assert streams["stream.kafka.consumer.type"] == "lowlevel"
        assert streams["stream.kafka.consumer.factory.class.name"].endswith(
            "kafka20.KafkaConsumerFactory"
        )
        assert streams["stream.kafka.consumer.prop.auto.offset.reset"] == "smallest"
        assert streams["stream.kafka.isolation.level"] == "read_committed"


def test_raw_events_schema_covers_every_seed_field(defs: dict[str, TableDef]) -> None:
    fields = _fields(defs["raw_events"].schema)
    seed: dict[str, Any] = {}
    for model in (PageView, ProductView, AddToCart, Purchase):
        for name, info in model.model_fields.items():
            seed[name] = info.annotation
    assert set(seed) <= set(fields), set(seed) - set(fields)
    for name in ("price", "time_spent", "total_amount"):
        assert fields[name] == "DOUBLE"
    assert fields["quantity"] == "INT"
    assert fields["event_timestamp"] == "STRING"  # kept exactly as sent
    assert fields["event_time_ms"] == "LONG"


def test_raw_events_dedups_on_event_id_with_indexes(defs: dict[str, TableDef]) -> None:
    d = defs["raw_events"]
    assert d.schema["primaryKeyColumns"] == ["event_id"]
    assert d.table["segmentsConfig"]["timeColumnName"] == "event_time_ms"
    assert d.table["dedupConfig"]["dedupEnabled"] is True
    assert "upsertConfig" not in d.table  # one table cannot dedup and upsert
    index = d.table["tableIndexConfig"]
    assert {"event_type", "product_id"} <= set(index["invertedIndexColumns"])
    time, minute, user_key = d.table["ingestionConfig"]["transformConfigs"]
    assert time["columnName"] == "event_time_ms"
    assert "event_timestamp" in time["transformFunction"]
    assert "$1" in time["transformFunction"]  # regex groups survive rendering
    # The minute from the parsed time (Pinot orders chained transforms by dependency).
    assert minute == {
        "columnName": "event_minute_ms",
        "transformFunction": "round(event_time_ms, 60000)",
    }
    # The open minute's DISTINCTCOUNT key: a LONG column, from user_id alone.
    assert user_key["columnName"] == "user_key"
    assert "md5(toUtf8(user_id))" in user_key["transformFunction"]
    assert _fields(d.schema)["user_key"] == "LONG"


@pytest.mark.parametrize("name", sorted(UPSERT_TABLES))
def test_result_tables_are_full_upserts_on_their_natural_key(
    defs: dict[str, TableDef], name: str
) -> None:
    d = defs[name]
    keys, time_column = UPSERT_TABLES[name]
    assert d.schema["primaryKeyColumns"] == keys
    assert d.table["segmentsConfig"]["timeColumnName"] == time_column
    assert d.table["upsertConfig"]["mode"] == "FULL"
    assert "dedupConfig" not in d.table
    fields = _fields(d.schema)
    assert set(keys) | {time_column} <= set(fields)
    assert fields[time_column] == "LONG"


def test_result_schemas_keep_the_seed_output_names(defs: dict[str, TableDef]) -> None:
    assert set(_fields(defs["active_users_per_minute"].schema)) == {
        "window_start",
        "window_end",
        "active_users",
    }
    assert set(_fields(defs["product_analytics_per_minute"].schema)) == {
        "window_start",
        "window_end",
        "product_id",
        "product_name",
        "product_category",
        "view_count",
        "avg_price",
    }
    assert set(_fields(defs["session_analytics"].schema)) == {
        "session_id",
        "user_id",
        "event_count",
        "products_viewed",
        "products_added_to_cart",
        "purchases_made",
        "session_start",
        "session_end",
    }


def test_session_versions_compare_on_event_count(defs: dict[str, TableDef]) -> None:
    assert defs["session_analytics"].table["upsertConfig"]["comparisonColumn"] == "event_count"


def test_indexed_columns_exist_in_the_schema(defs: dict[str, TableDef]) -> None:
    for d in defs.values():
        fields = set(_fields(d.schema))
        index = d.table["tableIndexConfig"]
        for key in (
            "invertedIndexColumns",
            "rangeIndexColumns",
            "bloomFilterColumns",
            "noDictionaryColumns",
            "sortedColumn",
        ):
            assert set(index.get(key, [])) <= fields, (d.name, key)


# A fake controller: the real one adds defaults and names tables <name>_REALTIME.
class FakeController:
    def __init__(self) -> None:
        self.schemas: dict[str, dict[str, Any]] = {}
        self.tables: dict[str, dict[str, Any]] = {}
        self.refuse_schema_update = False
        self.calls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        method, path = request.method, request.url.path
        self.calls.append(f"{method} {path}")
        body = json.loads(request.content) if request.content else None
        parts = path.strip("/").split("/")
        if parts[0] == "schemas":
            if method == "GET":
                s = self.schemas.get(parts[1])
                return httpx.Response(200, json=s) if s else httpx.Response(404, json={})
            if method == "PUT" and self.refuse_schema_update:
                return httpx.Response(400, json={"_error": "Backward incompatible schema"})
            self.schemas[body["schemaName"]] = {**copy.deepcopy(body), "extra": "default"}
            return httpx.Response(200, json={"status": "ok"})
        if parts[0] == "segments" and parts[2:] == ["reload"]:
            return httpx.Response(200, json={"status": "reload submitted"})
        if parts[0] == "tables":
            if method == "GET":
                t = self.tables.get(parts[1])
                return httpx.Response(200, json={"REALTIME": t} if t else {})
            name = body["tableName"]
            stored = copy.deepcopy(body)
            stored["tableName"] = f"{name}_REALTIME"
            stored["segmentsConfig"]["replication"] = "1"
            self.tables[name] = stored
            return httpx.Response(200, json={"status": "ok"})
        return httpx.Response(404)


def _apply(settings: Settings, fake: FakeController) -> list[str]:
    admin = PinotAdmin("http://pinot:9000", transport=httpx.MockTransport(fake))
    topics = {"accepted_x", *(t for t in TABLES if t != "raw_events")}
    return apply_tables(settings, admin=admin, existing_topics=topics)


def test_apply_creates_then_changes_nothing(settings: Settings) -> None:
    fake = FakeController()
    first = _apply(settings, fake)
    assert first[:2] == ["created schema raw_events", "created table raw_events"]
    assert len(first) == 2 * len(TABLES)
    fake.calls.clear()
    assert _apply(settings, fake) == []
    assert all(c.startswith("GET") for c in fake.calls)


def test_apply_updates_a_changed_schema_and_table(settings: Settings) -> None:
    fake = FakeController()
    _apply(settings, fake)
    fake.schemas["session_analytics"]["metricFieldSpecs"].pop()
    fake.tables["raw_events"]["tableIndexConfig"]["invertedIndexColumns"] = ["event_type"]
    fake.calls.clear()
    assert _apply(settings, fake) == [
        "updated table raw_events",
        "reloaded the segments of raw_events",
        "updated schema session_analytics",
        "reloaded the segments of session_analytics",
    ]
    # One reload per table, after its schema and config are both in place (a new
    # column must find its transform, or it is filled with defaults for good).
    session_calls = [c for c in fake.calls if "session_analytics" in c and c[0] != "G"]
    assert session_calls == [
        "PUT /schemas/session_analytics",
        "POST /segments/session_analytics/reload",
    ]
    assert _apply(settings, fake) == []


def test_a_table_keeps_the_key_hashing_it_was_created_with(settings: Settings) -> None:
    # A server's key map was built with the old function: switching on a live table
    # would let a duplicate or an update across the switch through.
    fake = FakeController()
    _apply(settings, fake)
    assert fake.tables["raw_events"]["dedupConfig"]["hashFunction"] == "MD5"
    assert fake.tables["session_analytics"]["upsertConfig"]["hashFunction"] == "MD5"
    fake.tables["raw_events"]["dedupConfig"]["hashFunction"] = "NONE"
    fake.tables["session_analytics"]["upsertConfig"]["hashFunction"] = "NONE"
    assert _apply(settings, fake) == []
    fake.tables["raw_events"]["tableIndexConfig"]["invertedIndexColumns"] = ["event_type"]
    assert _apply(settings, fake)[0] == "updated table raw_events"
    assert fake.tables["raw_events"]["dedupConfig"]["hashFunction"] == "NONE"
    assert fake.tables["raw_events"]["tableIndexConfig"]["invertedIndexColumns"] != ["event_type"]


def test_a_refused_schema_change_is_reported_with_pinots_reason(settings: Settings) -> None:
    fake = FakeController()
    _apply(settings, fake)
    fake.schemas["raw_events"]["dimensionFieldSpecs"][0]["dataType"] = "INT"
    fake.refuse_schema_update = True
    with pytest.raises(PinotAdminError, match=r"Backward incompatible schema.*drop the table"):
        _apply(settings, fake)


def test_tables_wait_for_their_topics(settings: Settings) -> None:
    admin = PinotAdmin("http://pinot:9000", transport=httpx.MockTransport(FakeController()))
    with pytest.raises(PinotAdminError, match="accepted_x, session_analytics do not exist"):
        apply_tables(
            settings,
            admin=admin,
            existing_topics={"active_users_per_minute", "product_analytics_per_minute"},
        )


class _CannedClient:
    def __init__(self) -> None:
        self.sql: list[str] = []

    def query(self, sql: str) -> QueryResult:
        self.sql.append(sql)
        return QueryResult(["avg_events"], ["DOUBLE"], [["-Infinity"]])


def test_report_queries_the_window_and_cleans_empty_aggregates() -> None:
    client = _CannedClient()
    rep = build_report(client, minutes=15, now_ms=1_800_000_000_000)  # type: ignore[arg-type]
    assert rep.since_ms == 1_800_000_000_000 - 15 * 60_000
    assert len(client.sql) == 3
    assert all(str(rep.since_ms) in sql for sql in client.sql)
    assert rep.sessions.rows == [[None]]
