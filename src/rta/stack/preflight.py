"""Checks before anything starts: enough memory and disk for the local stack.

A stack that starts on a machine without room for it fails late and obscurely
(a JVM killed by the OOM killer, Kafka refusing writes); these checks fail early
with the figures and what to do about them.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import psutil

from rta.stack.errors import StackError

GB = 1024**3
# What the whole local stack needs to start and run `make run` (measured resident
# set ~3-4 GB, see README), with some room for the rest of the machine.
MIN_AVAILABLE_RAM = 4 * GB
MIN_FREE_DISK = 2 * GB


class ResourceError(StackError):
    """Not enough memory or disk for the local stack."""


@dataclass(frozen=True)
class Resources:
    available_ram: int
    free_disk: int
    disk_path: Path


def measure(state_dir: Path) -> Resources:
    # The state directory may not exist yet: measure the nearest existing parent.
    path = state_dir.resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    return Resources(psutil.virtual_memory().available, shutil.disk_usage(path).free, path)


def check(
    res: Resources,
    *,
    min_ram: int = MIN_AVAILABLE_RAM,
    min_disk: int = MIN_FREE_DISK,
) -> None:
    """Raise ResourceError when memory or disk is below what the stack needs."""
    if res.available_ram < min_ram:
        raise ResourceError(
            f"Not enough memory: {res.available_ram / GB:.1f} GB available, the local stack "
            f"needs {min_ram / GB:.0f} GB. Close other programs, lower the heaps "
            "(RTA_KAFKA__HEAP, RTA_PINOT__HEAP, RTA_FLINK__TASKMANAGER_MEMORY), or point "
            "rta at remote services (see `rta config`)."
        )
    if res.free_disk < min_disk:
        raise ResourceError(
            f"Not enough disk: {res.free_disk / GB:.1f} GB free at {res.disk_path}, the local "
            f"stack needs {min_disk / GB:.0f} GB for its state. Free some space or move the "
            "state directory (RTA_STATE_DIR)."
        )


def preflight(state_dir: Path, *, needs_local: bool) -> None:
    """Check memory and disk, unless every component is remote (nothing starts here)."""
    if needs_local:
        check(measure(state_dir))
