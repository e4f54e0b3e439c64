"""bench/ingest.py's records and table variants (the run itself needs Kafka and Pinot
and is made by the bench)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from bench.ingest import VARIANTS, consumer_thread, job_shaped, variant_table

from rta.settings import Settings


def test_a_record_gets_the_event_time_and_minute_the_job_adds() -> None:
    value = '{"event_id":"e1","event_timestamp":"2026-12-05T10:11:12.345Z","event_type":"x"}'
    record = json.loads(job_shaped(value, {}))
    expected = dt.datetime(2026, 12, 5, 10, 11, 12, 345_000, tzinfo=dt.UTC)
    ms = int(expected.timestamp() * 1000)
    assert record["event_time_ms"] == ms
    assert (
        record["event_minute_ms"]
        == int(expected.replace(second=0, microsecond=0).timestamp()) * 1000
    )
    assert {k: record[k] for k in ("event_id", "event_timestamp", "event_type")} == json.loads(
        value
    )


def test_the_second_cache_does_not_mix_seconds() -> None:
    cache: dict[str, int] = {}
    a = json.loads(job_shaped('{"event_timestamp":"2026-12-05T10:11:12.000Z"}', cache))
    b = json.loads(job_shaped('{"event_timestamp":"2026-12-05T10:11:13.999Z"}', cache))
    assert b["event_time_ms"] - a["event_time_ms"] == 1_999
    assert len(cache) == 2


def test_a_record_without_a_millisecond_utc_time_is_refused() -> None:
    with pytest.raises(ValueError, match="event_timestamp"):
        job_shaped('{"event_timestamp":"2026-12-05T10:11:12+01:00"}', {})


def test_a_partition_thread_counts_under_its_partition_whatever_the_segment() -> None:
    assert consumer_thread("ingest_shipped__2__17__20261205T0534Z") == "ingest_shipped partition 2"
    assert consumer_thread("grizzly-http-server-3") == "grizzly-http-server-3"


def test_each_variant_is_raw_events_renamed_with_only_its_change() -> None:
    settings = Settings()
    shipped_schema, shipped = variant_table(settings, "shipped")
    assert shipped["tableName"] == shipped_schema["schemaName"] == "ingest_shipped"
    assert shipped["segmentsConfig"]["schemaName"] == "ingest_shipped"
    assert shipped_schema["primaryKeyColumns"] == ["event_id"]
    rows = int(
        shipped["tableIndexConfig"]["streamConfigs"]["realtime.segment.flush.threshold.rows"]
    )
    assert rows == settings.pinot.flush_rows

    def changed(name: str) -> dict[str, object]:
        _, table = variant_table(settings, name)
        assert table["tableName"] == "ingest_" + name.replace("-", "_")
        return {
            k: (table.get(k), shipped.get(k))
            for k in {*shipped, *table} - {"tableName", "segmentsConfig"}
            if table.get(k) != shipped.get(k)
        }

    assert set(changed("flush-4x")) == {"tableIndexConfig"}
    _, flush = variant_table(settings, "flush-4x")
    key = "realtime.segment.flush.threshold.rows"
    assert int(flush["tableIndexConfig"]["streamConfigs"][key]) == 4 * rows
    assert changed("no-dedup") == {"dedupConfig": (None, shipped["dedupConfig"])}
    unhashed = changed("dedup-unhashed")["dedupConfig"][0]
    assert unhashed == {**shipped["dedupConfig"], "hashFunction": "NONE"}
    murmur = changed("dedup-murmur3")["dedupConfig"][0]
    assert murmur == {**shipped["dedupConfig"], "hashFunction": "MURMUR3"}
    _, bare = variant_table(settings, "no-indexes")
    assert "starTreeIndexConfigs" not in bare["tableIndexConfig"]
    assert "invertedIndexColumns" not in bare["tableIndexConfig"]
    _, raw = variant_table(settings, "fewer-dictionaries")
    no_dict = raw["tableIndexConfig"]["noDictionaryColumns"]
    assert (
        no_dict[: len(shipped["tableIndexConfig"]["noDictionaryColumns"])]
        == (shipped["tableIndexConfig"]["noDictionaryColumns"])
    )
    assert {"page_url", "total_amount"} <= set(no_dict)
    assert set(VARIANTS) == {
        "shipped", "flush-4x", "no-dedup", "dedup-unhashed", "dedup-murmur3", "no-indexes",
        "fewer-dictionaries",
    }  # fmt: skip
