"""Where the local stack keeps its files under the state directory (RTA_STATE_DIR).

One definition, so that the processes that write a file (the stack), the commands
that read it (`rta logs`, `rta pipeline cancel`, `rta down`) and the pipeline's
resume logic agree on every path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Layout:
    state_dir: Path

    @property
    def logs(self) -> Path:
        """One log file per process (kafka.log, pinot.log, flink-jobmanager.log, ...)."""
        return self.state_dir / "logs"

    @property
    def run(self) -> Path:
        """Pid files of the processes rta started."""
        return self.state_dir / "run"

    def log_file(self, process: str) -> Path:
        return self.logs / f"{process}.log"

    def pid_file(self, process: str) -> Path:
        return self.run / f"{process}.pid"

    @property
    def up_pid_file(self) -> Path:
        """The foreground `rta up`, so that `rta down` elsewhere can ask it to stop."""
        return self.pid_file("rta-up")

    @property
    def watchdog_pid_file(self) -> Path:
        """The watchdog a `rta up --detach` leaves running; `rta down` stops it first."""
        return self.pid_file("watchdog")

    @property
    def restarts(self) -> Path:
        """What the watch restarted, when and why, for `rta status` in another process."""
        return self.run / "restarts.json"

    @property
    def kafka(self) -> Path:
        return self.state_dir / "kafka"

    @property
    def pinot(self) -> Path:
        return self.state_dir / "pinot"

    @property
    def flink(self) -> Path:
        return (self.state_dir / "flink").resolve()

    @property
    def savepoints(self) -> Path:
        return self.flink / "savepoints"

    @property
    def checkpoints(self) -> Path:
        return self.flink / "checkpoints"

    @property
    def collector_keys(self) -> Path:
        """The collector's write keys: names and hashes, never a key itself."""
        return self.state_dir / "collector" / "keys.json"
