"""The pure parts of bench/collector.py and its load generator (the bench itself needs
Kafka and is run by hand)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench._load import build_bodies, event_lines
from bench.collector import Round, collector_env, result_record

from rta.settings import KafkaSettings, Settings


def test_bodies_hold_every_event_once_in_both_forms() -> None:
    lines = event_lines(250)
    ndjson = build_bodies(lines, 100, "ndjson")
    array = build_bodies(lines, 100, "json")
    assert len(ndjson) == len(array) == 3
    assert [line for body in ndjson for line in body.splitlines()] == lines
    assert [
        json.dumps(e, separators=(",", ":")).encode() for b in array for e in json.loads(b)
    ] == [json.dumps(json.loads(line), separators=(",", ":")).encode() for line in lines]


def test_the_record_keeps_each_sides_best_and_checks_the_offsets() -> None:
    args = argparse.Namespace(events=1000, batch=100, connections=4, form="ndjson")
    rounds = [
        Round("collector", 50_000.0, 0.02, 1000, 1000, [1.0, 1.0, 1.0]),
        Round("generator", 200_000.0, 0.005, 1000, 1000, [1.0, 1.0, 1.0]),
        Round("collector", 40_000.0, 0.025, 990, 995, [2.0, 1.0, 1.0], {"503": 1}, 10),
        Round("generator", 100_000.0, 0.01, 1000, 1000, [2.0, 1.0, 1.0]),
    ]
    record = result_record(rounds, args, [0.5, 0.5, 0.5])
    assert (record["value"], record["baseline"], record["ratio"]) == (50_000, 200_000, 0.25)
    assert record["unit"] == "events/s"
    assert (record["failed_requests"], record["failed_events"]) == (1, 10)
    assert record["offsets_match"] is False  # 995 written for 990 accepted
    assert len(record["runs"]) == 4


def test_the_collector_writes_to_the_scratch_topic_of_the_benchs_broker(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, kafka=KafkaSettings(port=19092))
    env = collector_env(settings, tmp_path / "c", 8123)
    assert env["RTA_KAFKA__RAW_TOPIC"] == "rta_bench_collector"
    assert env["RTA_COLLECTOR__PORT"] == "8123"
    assert env["RTA_STATE_DIR"] == str(tmp_path / "c")
    assert env["RTA_KAFKA__PORT"] == "19092"
