"""One supervised child process: explicit argv, its own process group, a log file, a pid file.

Components outlive the `rta` command that started them, so the pid file (with the
process start time, to survive pid reuse) is how later commands find them again.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

# Components are meant to outlive this Python process; keeping their Popen objects
# alive stops Popen.__del__ from warning that a child is still running.
_detached: list[subprocess.Popen[bytes]] = []


_EPOCH_2001 = 1e9  # no machine has been up this long; any pid file value above is absolute


def _since_boot(proc: psutil.Process) -> float:
    """When the process started, in seconds after boot: unaffected by clock steps."""
    return round(proc.create_time() - psutil.boot_time(), 2)


@dataclass(frozen=True)
class PidFile:
    """A pid and its process's start time: a later reader finds the same process, not
    whatever reused the pid.

    The start time is kept as seconds after boot. psutil's create_time() is boot time
    plus that, and the boot time it reads moves whenever the wall clock is stepped (an
    NTP correction, a VM snapshot restored): an absolute start time recorded before
    such a step no longer matched the live process after it, and `rta down` and the
    watch took a running JVM for gone (seen in a benchmark across a VM snapshot)."""

    path: Path

    def record(self, proc: psutil.Process) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(f"{proc.pid} {_since_boot(proc)}\n")

    def pid(self) -> int | None:
        try:
            return int(self.path.read_text().split()[0])
        except (FileNotFoundError, ValueError, IndexError):
            return None

    def process(self) -> psutil.Process | None:
        """The live process recorded here, or None."""
        try:
            pid_s, created_s = self.path.read_text().split()
            proc = psutil.Process(int(pid_s))
            created = float(created_s)
            # Files written before the start time was kept relative to boot hold an
            # absolute one (seconds since the epoch).
            now = proc.create_time() if created > _EPOCH_2001 else _since_boot(proc)
            if abs(now - created) > 1.0:
                return None
            if proc.status() == psutil.STATUS_ZOMBIE:
                return None
            return proc
        except (FileNotFoundError, ValueError, psutil.Error):
            return None

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


@dataclass
class ServiceProcess:
    name: str
    argv: Sequence[str]
    log_file: Path
    pid_file: Path
    cwd: Path
    env: Mapping[str, str] = field(default_factory=dict)

    def start(self) -> int:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log:
            log.write(f"\n--- rta: starting {self.name}: {' '.join(self.argv)}\n".encode())
            log.flush()
            proc = subprocess.Popen(
                list(self.argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.cwd,
                env={**os.environ, **self.env},
                # Own session = own process group: stopping it takes any children along.
                start_new_session=True,
            )
        _detached.append(proc)
        PidFile(self.pid_file).record(psutil.Process(proc.pid))
        return proc.pid

    def process(self) -> psutil.Process | None:
        """The live process recorded in the pid file, or None."""
        return PidFile(self.pid_file).process()

    def exit_code(self) -> int | None:
        """Reap our own child if it died (it may be a zombie of this process)."""
        recorded = PidFile(self.pid_file).pid()
        if recorded is None:
            return None
        try:
            pid, status = os.waitpid(recorded, os.WNOHANG)
        except (ChildProcessError, OSError):
            return None
        if pid == 0:
            return None
        return os.waitstatus_to_exitcode(status)

    def is_running(self) -> bool:
        return self.process() is not None

    def stop(self, timeout_s: float = 30.0) -> bool:
        """SIGTERM the process group, wait, then SIGKILL. True if something was stopped."""
        proc = self.process()
        if proc is None:
            PidFile(self.pid_file).clear()
            return False
        pgid = os.getpgid(proc.pid)
        _signal_group(pgid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and _group_alive(pgid):
            time.sleep(0.2)
            self.exit_code()
        if _group_alive(pgid):
            _signal_group(pgid, signal.SIGKILL)
            time.sleep(0.5)
        self.exit_code()
        PidFile(self.pid_file).clear()
        return True


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def _group_alive(pgid: int) -> bool:
    for proc in psutil.process_iter(["pid", "status"]):
        try:
            if os.getpgid(proc.pid) == pgid and proc.info["status"] != psutil.STATUS_ZOMBIE:
                return True
        except (ProcessLookupError, psutil.Error):
            continue
    return False
