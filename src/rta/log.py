"""Where log records go: rta's terminal output is its own, libraries' lines go to a file.

Client libraries log through Python's logging: librdkafka (through confluent-kafka,
into the `rta.kafka.librdkafka` logger, see rta.kafka.client) and httpx. By default
their warnings and errors go only to <state_dir>/logs/rta.log, so that nothing raw
interrupts rta's progress, panels and summaries. `rta --verbose` also shows them on
stderr, from INFO on, each with its logger's name.
"""

from __future__ import annotations

import logging
from io import TextIOWrapper
from pathlib import Path

from rich.console import Console
from rich.logging import RichHandler

__all__ = ["configure", "reset"]

_FILE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# What configure() added to the root logger, so that calling it again (each CLI
# invocation in one process, as the tests do) replaces rather than piles up.
_installed: list[logging.Handler] = []
_root_level: int | None = None


class _LazyFile(logging.FileHandler):
    """Appends to a file that, with its directory, is created only when there is a line
    to write: `rta config` or `rta schema` must not leave a state directory behind."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, encoding="utf-8", delay=True)
        self.setFormatter(logging.Formatter(_FILE_FORMAT))

    def _open(self) -> TextIOWrapper:
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()


def _terminal() -> logging.Handler:
    # stderr: stdout may carry data (`rta generate --sink stdout`, `--json`).
    handler = RichHandler(console=Console(stderr=True), show_path=False, markup=False)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    return handler


def configure(verbose: bool = False, log_file: Path | None = None) -> None:
    """Route every logger: WARNING and above to `log_file`; with `verbose`, INFO and
    above to the file and to stderr. Calling it again replaces the previous set-up."""
    global _root_level
    root = logging.getLogger()
    if _root_level is None:
        _root_level = root.level
    _remove_installed(root)
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    if log_file is not None:
        _installed.append(_LazyFile(log_file))
    if verbose:
        _installed.append(_terminal())
    if not _installed:
        # With no handler at all, logging's last resort prints warnings raw to stderr.
        _installed.append(logging.NullHandler())
    for handler in _installed:
        root.addHandler(handler)


def reset() -> None:
    """Undo configure(): its handlers removed (files closed), the root level restored."""
    global _root_level
    root = logging.getLogger()
    _remove_installed(root)
    if _root_level is not None:
        root.setLevel(_root_level)
        _root_level = None


def _remove_installed(root: logging.Logger) -> None:
    for handler in _installed:
        root.removeHandler(handler)
        handler.close()
    _installed.clear()
