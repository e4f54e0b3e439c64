"""The pure parts of bench/generator.py (the bench itself needs Kafka and is run by
hand): its baseline must send our events, keyed, with our producer's settings."""

from __future__ import annotations

import json
from pathlib import Path

from bench.generator import TOPIC, baseline_args, write_payloads

from rta.kafka.client import producer_config
from rta.settings import Settings


def test_payloads_are_our_events_one_per_line(tmp_path: Path) -> None:
    payloads = write_payloads(tmp_path, count=2000)
    lines = payloads.path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) == 2001
    events = [json.loads(line) for line in lines[:-1]]
    assert all(e["event_id"] and e["session_id"] for e in events)
    assert payloads.record_bytes == round(sum(map(len, lines[:-1])) / 2000)
    sessions = {e["session_id"] for e in events}
    assert payloads.keys_per_record == len(sessions) / 2000


def test_baseline_sends_the_payloads_keyed_with_our_producer_settings(tmp_path: Path) -> None:
    payloads = write_payloads(tmp_path, count=500)
    conf = producer_config(Settings())
    args = baseline_args(conf, 1_000_000, payloads)

    def value(flag: str) -> str:
        return args[args.index(flag) + 1]

    assert value("--topic") == TOPIC
    assert value("--num-records") == "1000000"
    assert value("--payload-file") == str(payloads.path)
    assert "--record-size" not in args
    assert value("--key-distribution") == "random"
    assert int(value("--record-key-range")) == round(1_000_000 * payloads.keys_per_record)
    props = dict(p.split("=", 1) for p in args[args.index("--producer-props") + 1 :])
    assert props == {
        "bootstrap.servers": conf["bootstrap.servers"],
        "acks": "all",
        "enable.idempotence": "true",
        "compression.type": conf["compression.type"],
        "linger.ms": str(conf["linger.ms"]),
        "batch.size": str(conf["batch.size"]),
        "buffer.memory": str(conf["queue.buffering.max.kbytes"] * 1024),
    }
