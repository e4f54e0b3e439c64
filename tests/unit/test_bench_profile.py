"""bench/_profile.py folds `jfr print` output per task thread (the recording itself
needs a running TaskManager and is made by bench/pipeline.py --profile)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from bench import _profile

SAMPLE = """\
{event} {{
  startTime = 12:01:02.003 (2026-12-03)
  sampledThread = "{thread}" (javaThreadId = 91)
  state = "STATE_RUNNABLE"
  stackTrace = [
{frames}
  ]
}}
"""


def _sample(thread: str, *frames: str, event: str = "jdk.ExecutionSample") -> str:
    lines = "\n".join(f"    {f}(org.apache.flink.table.data.RowData) line: 7" for f in frames)
    return SAMPLE.format(event=event, thread=thread, frames=lines)


class _FakePopen:
    def __init__(self, text: str) -> None:
        self.stdout = io.StringIO(text)

    def __enter__(self) -> _FakePopen:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None


def test_samples_are_shared_out_per_task_and_methods_counted_once_per_sample(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = "Source: raw_events[1] -> Calc[2]"
    agg = "GroupAggregate[25] -> Sink: Writer"
    text = (
        _sample(f"{source} (1/2)#0", "a.b.Regex.match", "a.b.Calc$571.processElement",
                "a.b.Task.run")
        + _sample(f"{source} (2/2)#0", "a.b.Json.parse", "a.b.Task.run")
        + _sample(f"{source} (1/2)#0", "a.b.Regex.match", "a.b.Regex.match", "a.b.Task.run")
        + _sample(f"{agg} (1/2)#0", "a.b.Ttl.cleanup", "a.b.Task.run")
    )  # fmt: skip
    monkeypatch.setattr(_profile.subprocess, "Popen", lambda *a, **k: _FakePopen(text))

    summary = _profile.summarise(Path("run.jfr"))

    assert summary["samples"] == 4
    # Subtask suffixes are folded: both source subtasks are one task.
    assert summary["threads"] == [
        {"thread": source, "share": 0.75},
        {"thread": agg, "share": 0.25},
    ]
    hottest = {h["thread"]: h["methods"] for h in summary["hottest"]}
    # Regex.match twice in one stack counts once; Task.run (in every sample) is left out.
    assert hottest[source] == [
        {"method": "Regex.match", "share": 0.667},
        {"method": "Calc$571.processElement", "share": 0.333},
        {"method": "Json.parse", "share": 0.333},
    ]
    assert hottest[agg] == []


def test_rocksdb_calls_count_at_the_native_sampling_rate_and_other_native_waits_not_at_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dedup = "Deduplicate[9] -> Calc[10]"
    native = "jdk.NativeMethodSample"
    text = (
        _sample(f"{dedup} (1/2)#0", "a.b.Json.write", "a.b.Task.run")
        + _sample(f"{dedup} (2/2)#0", "org.rocksdb.RocksDB.get", "a.b.Dedup.process",
                  "a.b.Task.run", event=native)
        + _sample("Kafka Fetcher", "sun.nio.ch.EPoll.wait", "a.b.Poll.run", event=native)
    )  # fmt: skip
    monkeypatch.setattr(_profile.subprocess, "Popen", lambda *a, **k: _FakePopen(text))

    summary = _profile.summarise(Path("run.jfr"))

    # One Java sample (10 ms) and one RocksDB sample (20 ms); the epoll wait is no work.
    assert summary["samples"] == 3
    assert summary["threads"] == [{"thread": dedup, "share": 1.0}]
    own = {h["thread"]: h["self"] for h in summary["hottest"]}
    assert own[dedup] == [
        {"method": "RocksDB.get", "share": 0.667},
        {"method": "Json.write", "share": 0.333},
    ]
