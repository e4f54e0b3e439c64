from __future__ import annotations

from rta.errors import RtaError


class StackError(RtaError):
    """A local-stack failure, with a message meant for the person at the terminal."""


class JavaError(StackError):
    pass


class PortInUseError(StackError):
    pass


class ArtifactsMissingError(StackError):
    pass


class StartupError(StackError):
    pass
