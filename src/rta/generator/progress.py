"""A live records/s display on stderr for long runs (generate, replay).

Off when stderr is not a terminal or with --quiet, so that pipes and CI logs
get only the final summary.
"""

from __future__ import annotations

import sys
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

__all__ = ["ProgressDisplay"]


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} {task.fields.get('unit', 'events')}/s" if speed else "")


class ProgressDisplay:
    """Context manager; `advance(n)` after each batch. A no-op when disabled."""

    def __init__(
        self,
        description: str,
        total: int | None = None,
        *,
        enabled: bool | None = None,
        unit: str = "events",
    ) -> None:
        if enabled is None:
            enabled = sys.stderr.isatty()
        self._progress: Progress | None = None
        if enabled:
            columns: list[ProgressColumn | str] = [
                SpinnerColumn(),
                TextColumn("{task.description}"),
            ]
            if total is not None:
                columns.append(BarColumn())
            columns += [MofNCompleteColumn(), _RateColumn(), TimeElapsedColumn()]
            self._progress = Progress(
                *columns,
                console=Console(stderr=True),
                transient=False,
                speed_estimate_period=5.0,
            )
            self._task = self._progress.add_task(description, total=total, unit=unit)

    def __enter__(self) -> ProgressDisplay:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def advance(self, n: int) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, n)
