"""The table registry (rta.tables) against everything that spells a table out again:
the Flink SQL sinks, the Pinot schema and table files, and the Kafka topics."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from rta.kafka.topics import topic_specs
from rta.pinot.admin import table_topics
from rta.settings import Settings
from rta.tables import RAW_EVENTS, RESULTS, TABLES, Table

SQL = resources.files("rta.pipeline").joinpath("sql", "20-tables.sql").read_text()
PINOT = resources.files("rta.pinot").joinpath("tables")


def _sink(name: str) -> str:
    body = SQL[SQL.index(f"CREATE TABLE {name} (") :]
    return body[: body.index(");")]


def _pinot(table: Table, kind: str) -> dict:  # type: ignore[type-arg]
    return json.loads(PINOT.joinpath(f"{table.name}.{kind}.json").read_text())


@pytest.mark.parametrize("table", RESULTS, ids=lambda t: t.name)
def test_flink_sink_is_keyed_and_named_as_registered(table: Table) -> None:
    sink = _sink(table.name)
    (columns,) = re.findall(r"PRIMARY KEY \(([^)]*)\) NOT ENFORCED", sink)
    assert tuple(c.strip() for c in columns.split(",")) == table.key
    assert f"'topic' = '{table.name}'" in sink
    assert "'connector' = 'upsert-kafka'" in sink


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_pinot_files_match_the_registry(table: Table) -> None:
    schema, config = _pinot(table, "schema"), _pinot(table, "table")
    assert tuple(schema["primaryKeyColumns"]) == table.key
    assert config["segmentsConfig"]["timeColumnName"] == table.time_column
    columns = {
        f["name"]
        for kind in ("dimensionFieldSpecs", "metricFieldSpecs", "dateTimeFieldSpecs")
        for f in schema.get(kind, [])
    }
    assert {*table.key, table.time_column, table.newest_column} <= columns


def test_topics_and_table_inputs_derive_from_the_registry() -> None:
    settings = Settings()
    specs = {s.name: s for s in topic_specs(settings)}
    for table in RESULTS:
        assert specs[table.name].purpose == table.purpose
        assert (specs[table.name].config.get("cleanup.policy") == "compact") == table.compacted
    inputs = table_topics(settings)
    assert inputs[RAW_EVENTS.name] == settings.kafka.accepted_topic
    assert all(inputs[t.name] in specs for t in TABLES)
