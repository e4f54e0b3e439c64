"""`rta generate` and `rta replay` against the real local broker.

raw_events is shared by every test of the session, so each test reads only the
offset range its own command produced (high watermarks before and after).
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import TopicPartition
from tests.support.cli import run_rta
from tests.support.pipeline_io import end_offsets

from rta.events import parse_event_json
from rta.kafka.client import make_consumer
from rta.kafka.dlq import REASON_HEADER, SOURCE_HEADER
from rta.settings import Settings
from rta.testing import generate_lines

pytestmark = pytest.mark.integration

Record = tuple[bytes, bytes | None, dict[str, bytes]]


def _read(
    settings: Settings, topic: str, start: dict[int, int], timeout_s: float = 60
) -> list[Record]:
    """Every record from `start` up to the current end of each partition."""
    end = end_offsets(settings, topic)
    consumer = make_consumer(settings, f"rta-test-{uuid.uuid4()}")
    out: list[Record] = []
    try:
        consumer.assign([TopicPartition(topic, p, start.get(p, 0)) for p in end])
        position = dict(start)
        deadline = time.monotonic() + timeout_s
        while any(position.get(p, 0) < end[p] for p in end):
            assert time.monotonic() < deadline, f"timed out reading {topic}: {position} < {end}"
            for msg in consumer.consume(10_000, timeout=1.0):
                assert msg.error() is None, msg.error()
                position[msg.partition()] = msg.offset() + 1
                out.append((msg.value(), msg.key(), dict(msg.headers() or [])))
    finally:
        consumer.close()
    return out


def test_generate_delivers_every_event_once(stack: Settings, stack_env: dict[str, str]) -> None:
    topic = stack.kafka.raw_topic
    before = end_offsets(stack, topic)
    done = run_rta(
        stack_env, "generate", "--count", "50000", "--seed", "1", "--rate", "0",
        "--start", "2026-01-01T00:00:00Z",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "sent 50,000 records to kafka topic raw_events" in done.stderr

    records = _read(stack, topic, before)
    assert len(records) == 50_000
    events = [parse_event_json(value) for value, _, _ in records]  # every one valid
    ids = [e.event_id for e in events]
    assert len(set(ids)) == 50_000  # each exactly once
    for (_, key, _), event in zip(records, events, strict=True):
        assert key == event.session_id.encode()
    # The same seed and start give the same records, byte for byte.
    expected, _ = generate_lines(50_000, seed=1, start="2026-01-01T00:00:00Z")
    assert {value for value, _, _ in records} == set(expected.lines)


def test_replay_sends_valid_lines_and_rejects_the_rest(
    stack: Settings, stack_env: dict[str, str], tmp_path: Path
) -> None:
    sink, _ = generate_lines(1000, seed=2, start="2026-02-01T00:00:00Z")
    lines = list(sink.lines)
    naive = json.loads(lines[10])
    naive["event_timestamp"] = naive["event_timestamp"].rstrip("Z")
    missing = json.loads(lines[20])
    del missing["session_id"]
    invalid = {  # 1-based line number -> field the reason must name
        11: (json.dumps(naive).encode(), "event_timestamp"),
        21: (json.dumps(missing).encode(), "session_id"),
        31: (lines[30][:40], "event"),
        41: (lines[40].replace(b'"page_view"', b'"click"').replace(b'"purchase"', b'"click"')
             .replace(b'"product_view"', b'"click"').replace(b'"add_to_cart"', b'"click"'),
             "event_type"),
    }  # fmt: skip
    for lineno, (raw, _) in invalid.items():
        lines[lineno - 1] = raw
    path = tmp_path / "replay.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n\n")

    raw_before = end_offsets(stack, stack.kafka.raw_topic)
    dlq_before = end_offsets(stack, stack.kafka.dlq_topic)
    done = run_rta(stack_env, "replay", str(path))
    assert done.returncode == 0, done.stderr
    assert "sent 996 to raw_events, rejected 4 to raw_events_dlq" in done.stderr

    sent = _read(stack, stack.kafka.raw_topic, raw_before)
    valid = [line for i, line in enumerate(lines, 1) if i not in invalid]
    assert sorted(v for v, _, _ in sent) == sorted(valid)
    # Keyed by session_id, so each session's lines keep their file order.
    by_key: dict[bytes | None, list[bytes]] = {}
    for value, key, _ in sent:
        assert key == json.loads(value)["session_id"].encode()
        by_key.setdefault(key, []).append(value)
    for key, values in by_key.items():
        assert values == [v for v in valid if json.loads(v)["session_id"].encode() == key]

    rejected = _read(stack, stack.kafka.dlq_topic, dlq_before)
    assert sorted(v for v, _, _ in rejected) == sorted(raw for raw, _ in invalid.values())
    for value, _, headers in rejected:
        lineno = next(n for n, (raw, _) in invalid.items() if raw == value)
        assert headers[SOURCE_HEADER] == f"{path}:{lineno}".encode()
        assert headers[REASON_HEADER].decode().startswith(invalid[lineno][1])


def test_replay_fails_clearly_when_kafka_is_down(tmp_path: Path, stack_env: dict[str, str]) -> None:
    path = tmp_path / "one.jsonl"
    sink, _ = generate_lines(1)
    path.write_bytes(sink.lines[0] + b"\n")
    env = {**stack_env, "RTA_KAFKA__PORT": "1", "RTA_KAFKA__BOOTSTRAP_SERVERS": "127.0.0.1:1"}
    done = run_rta(env, "replay", str(path))
    assert done.returncode == 1
    assert "cannot reach Kafka at 127.0.0.1:1" in done.stderr and "rta up" in done.stderr
