"""A pid file finds its process again after the wall clock was stepped, and never a
process that merely reuses the pid."""

from __future__ import annotations

from pathlib import Path

import psutil
import pytest

from rta.stack.process import PidFile


def test_finds_its_process_after_the_clock_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid_file = PidFile(tmp_path / "x.pid")
    me = psutil.Process()
    pid_file.record(me)
    boot, created = psutil.boot_time(), me.create_time()
    # A VM snapshot restored or an NTP step: psutil now derives another boot time, and
    # every create_time() moves with it.
    monkeypatch.setattr(psutil, "boot_time", lambda: boot - 600)
    monkeypatch.setattr(psutil.Process, "create_time", lambda self: created - 600)
    found = pid_file.process()
    assert found is not None and found.pid == me.pid


def test_refuses_a_process_that_reuses_the_pid(tmp_path: Path) -> None:
    pid_file = tmp_path / "x.pid"
    # Our pid, but a start time long before ours: another process had that pid.
    pid_file.write_text(f"{psutil.Process().pid} 0.5\n")
    assert PidFile(pid_file).process() is None


def test_reads_the_older_absolute_form(tmp_path: Path) -> None:
    pid_file = tmp_path / "x.pid"
    me = psutil.Process()
    pid_file.write_text(f"{me.pid} {me.create_time()}\n")
    found = PidFile(pid_file).process()
    assert found is not None and found.pid == me.pid
