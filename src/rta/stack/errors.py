from __future__ import annotations

from pathlib import Path


class StackError(Exception):
    """A local-stack failure, with a message meant for the person at the terminal."""

    def __init__(self, message: str, log: Path | None = None) -> None:
        super().__init__(message)
        self.log = log


class JavaError(StackError):
    pass


class PortInUseError(StackError):
    pass


class ArtifactsMissingError(StackError):
    pass


class StartupError(StackError):
    pass
