"""replay_file: validation and DLQ routing, checked against a recording producer."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rta.cli import app
from rta.kafka.delivery import DeliveryTracker
from rta.kafka.dlq import REASON_HEADER, SOURCE_HEADER
from rta.replay import ReplayError, replay_file
from rta.settings import Settings
from rta.testing import RecordingProducer, generate_lines

SETTINGS = Settings()


@pytest.fixture
def events_file(tmp_path: Path) -> tuple[Path, list[bytes], dict[int, str]]:
    """A file of 200 generated events with a blank line and five bad lines mixed in."""
    sink, _ = generate_lines(200, seed=9)
    good = sink.lines
    naive = json.loads(good[3])
    naive["event_timestamp"] = naive["event_timestamp"].rstrip("Z")
    no_user = json.loads(good[4])
    del no_user["user_id"]
    bad = {
        3: json.dumps(naive),  # line number in the file -> field named in the reason
        6: good[6].decode()[:50],
        9: json.dumps(no_user),
        12: good[12].decode().replace(json.loads(good[12])["event_id"], "not-a-uuid"),
        15: "",  # blank: skipped, not rejected
    }
    reasons = {3: "event_timestamp", 6: "event", 9: "user_id", 12: "event_id"}
    lines: list[bytes] = []
    for i, line in enumerate(good, 1):
        lines.append(bad[i].encode() if i in bad else line)
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path, lines, reasons


def test_valid_lines_go_to_raw_topic_untouched_and_keyed(
    events_file: tuple[Path, list[bytes], dict[int, str]],
) -> None:
    path, lines, reasons = events_file
    producer = RecordingProducer()
    summary = replay_file(path, SETTINGS, producer=producer)
    raw = producer.on(SETTINGS.kafka.raw_topic)
    expected = [line for i, line in enumerate(lines, 1) if i not in reasons and line]
    assert [r.value for r in raw] == expected  # file order, bytes as written
    assert [r.key for r in raw] == [json.loads(v)["session_id"].encode() for v in expected]
    assert (summary.sent, summary.rejected, summary.blank) == (195, 4, 1)


def test_invalid_lines_go_to_dlq_with_reason_and_source(
    events_file: tuple[Path, list[bytes], dict[int, str]],
) -> None:
    path, lines, reasons = events_file
    producer = RecordingProducer()
    summary = replay_file(path, SETTINGS, producer=producer)
    dlq = producer.on(SETTINGS.kafka.dlq_topic)
    assert [r.value for r in dlq] == [lines[i - 1] for i in sorted(reasons)]
    for record, lineno in zip(dlq, sorted(reasons), strict=True):
        assert record.headers[SOURCE_HEADER] == f"{path}:{lineno}".encode()
        assert record.headers[REASON_HEADER].decode().startswith(reasons[lineno])
    assert summary.reasons[0].startswith("line 3: event_timestamp")


def test_topic_override(events_file: tuple[Path, list[bytes], dict[int, str]]) -> None:
    producer = RecordingProducer()
    replay_file(events_file[0], SETTINGS, producer=producer, topic="other")
    assert len(producer.on("other")) == 195
    assert not producer.on(SETTINGS.kafka.raw_topic)


def test_crlf_line_ends_are_not_part_of_the_event(tmp_path: Path) -> None:
    sink, _ = generate_lines(3, seed=1)
    path = tmp_path / "crlf.jsonl"
    path.write_bytes(b"\r\n".join(sink.lines))  # and no newline at the end
    producer = RecordingProducer()
    assert replay_file(path, SETTINGS, producer=producer).sent == 3
    assert [r.value for r in producer.records] == sink.lines


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ReplayError, match="no such file"):
        replay_file(tmp_path / "nope.jsonl", SETTINGS, producer=RecordingProducer())


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_kafka_unreachable(events_file: tuple[Path, list[bytes], dict[int, str]]) -> None:
    port = _closed_port()
    settings = Settings(kafka={"port": port})  # type: ignore[arg-type]
    with pytest.raises(ReplayError, match=rf"cannot reach Kafka at 127.0.0.1:{port}.*rta up"):
        replay_file(events_file[0], settings, connect_timeout_s=1.0)


runner = CliRunner()


def test_cli_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["replay", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 1
    assert "no such file" in result.stderr


def test_cli_summary(
    events_file: tuple[Path, list[bytes], dict[int, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    producer = RecordingProducer()

    def fake_connect(
        settings: Settings, topics: list[str], timeout_s: float | None = None
    ) -> tuple[RecordingProducer, DeliveryTracker]:
        return producer, DeliveryTracker()

    monkeypatch.setattr("rta.replay.connect_producer", fake_connect)
    result = runner.invoke(app, ["replay", str(events_file[0])])
    assert result.exit_code == 0, result.stderr
    assert "sent 195 to raw_events, rejected 4 to raw_events_dlq" in result.stderr
    assert "line 3: event_timestamp" in result.stderr
    assert result.stdout == ""
