"""Pacer: the one rate limiter of `rta generate --rate` and `rta replay --rate`."""

from __future__ import annotations

from pathlib import Path

import pytest

from rta.pacing import Pacer
from rta.replay import replay_file
from rta.settings import load_settings
from rta.testing import RecordingProducer, generate_lines


def _no_sleep(seconds: float) -> None:
    raise AssertionError(f"slept {seconds} s")


def test_it_holds_the_rate() -> None:
    pacer = Pacer(200.0)
    for done in range(1, 21):
        pacer.wait(done)
    assert 0.1 <= pacer.elapsed_s < 1.0


def test_unpaced_or_behind_it_never_sleeps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("rta.pacing.time.sleep", _no_sleep)
    Pacer(0).wait(10**9)
    behind = Pacer(10.0)
    behind.started -= 60  # a stall: the loop catches up at full speed
    behind.wait(100)


def test_a_negative_rate_is_refused() -> None:
    with pytest.raises(ValueError, match="rate must be >= 0"):
        Pacer(-1.0)


def test_replay_is_paced(tmp_path: Path) -> None:
    sink, _ = generate_lines(100, seed=2)
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(sink.lines) + b"\n")
    summary = replay_file(path, load_settings(), rate=500.0, producer=RecordingProducer())
    assert summary.sent == 100
    assert 0.2 <= summary.elapsed_s < 1.5
