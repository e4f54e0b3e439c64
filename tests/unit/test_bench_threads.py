"""bench/_stack.py's CPU per kind of JVM thread, read from /proc."""

from __future__ import annotations

import os
import threading
import time

import pytest
from bench._stack import cpu_by_thread_class, thread_class, thread_times


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("C2 CompilerThre", "jit"),
        ("C1 CompilerThre", "jit"),
        ("GC Thread#1", "gc"),
        ("G1 Conc#0", "gc"),
        ("rocksdb:low", "rocksdb"),
        ("kafka-producer-", "kafka client"),
        ("Source Data Fet", "kafka client"),
        ("Deduplicate[3]", "other"),
        ("GroupAggregate[", "other"),
    ],
)
def test_threads_are_told_apart_by_their_names(name: str, kind: str) -> None:
    assert thread_class(name) == kind


def test_a_thread_started_between_the_snapshots_counts_from_zero() -> None:
    before = {1: ("C2 CompilerThre", 5.0), 2: ("GC Thread#0", 1.0)}
    after = {1: ("C2 CompilerThre", 7.5), 2: ("GC Thread#0", 1.5), 3: ("kafka-producer-", 0.75)}
    assert cpu_by_thread_class(before, after) == {
        "jit": 2.5, "gc": 0.5, "rocksdb": 0.0, "kafka client": 0.75, "other": 0.0,
    }  # fmt: skip


def test_a_busy_thread_of_this_process_shows_its_cpu_time() -> None:
    spun, release = threading.Event(), threading.Event()
    native_id: list[int] = []

    def spin() -> None:
        native_id.append(threading.get_native_id())
        stop = time.monotonic() + 0.3
        while time.monotonic() < stop:
            pass
        spun.set()
        release.wait()

    worker = threading.Thread(target=spin, name="spinner")
    worker.start()
    try:
        assert spun.wait(10)
        snapshot = thread_times(os.getpid())
    finally:
        release.set()
        worker.join()
    # Python 3.11 leaves its threads' OS names as the process's, so only the time tells.
    assert snapshot[native_id[0]][1] >= 0.1
