"""The watch's restart records on disk: per component, how often it was restarted, the
last reason and when, and whether a restart is under way.

The watch (`rta up` in the foreground, or the detached watchdog) writes them; `rta
status` and the dashboard, other processes, read them. A small JSON file under the
state directory, replaced atomically so that a reader never sees half of it.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["RESTARTING_FOR_AT_MOST_S", "RestartLog", "RestartRecord"]

# Longer than the slowest component takes to start (Pinot's default timeout is 180 s)
# plus its provisioning: a "restarting" record older than that was left by a watch
# that died mid-restart, and no longer says anything about the component.
RESTARTING_FOR_AT_MOST_S = 600.0

# What the watch is doing about a component (RestartRecord.state).
RESTARTING = "restarting"
BACK = "back"
FAILED = "failed"
STOPPED_STACK = "stopped the stack"


@dataclass(frozen=True)
class RestartRecord:
    component: str
    count: int
    """Restarts since the stack was started."""
    last_reason: str
    at: float
    """When the last restart began (seconds since the epoch)."""
    state: str = RESTARTING
    """restarting, back, failed (tried again after a backoff), stopped the stack."""

    def restarting(self, now: float) -> bool:
        """Whether a restart is under way (a stale record says nothing)."""
        return self.state == RESTARTING and now - self.at < RESTARTING_FOR_AT_MOST_S


@dataclass(frozen=True)
class RestartLog:
    path: Path

    def read(self) -> dict[str, RestartRecord]:
        """Every component's record; none when the file is missing or unreadable (it is
        only ever informative, so a broken one must not break `rta status`)."""
        try:
            raw = json.loads(self.path.read_text())
            return {name: RestartRecord(**fields) for name, fields in raw.items()}
        except (OSError, ValueError, TypeError, AttributeError):
            return {}

    def write(self, record: RestartRecord) -> None:
        records = self.read()
        records[record.component] = record
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({n: asdict(r) for n, r in sorted(records.items())}, indent=2))
        os.replace(tmp, self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
