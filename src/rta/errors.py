"""rta's errors: one tree, so that a caller knows what to catch and the CLI maps each
error to an exit code in one place (`rta.cli.main`).

    RtaError                     exit 1: str(exc) is meant for the person at the terminal
    ├── ConfigError              exit 2: settings or templates that cannot work
    │   └── PlaceholderError     rta.templates: a ${name} without a value (also a KeyError)
    ├── InputError               a file or an event rta was given is not usable
    │   ├── EventError           rta.events: breaks the event contract (also a ValueError)
    │   └── WriteKeyError        rta.collector.keys: a key name taken or unknown
    ├── ServiceError             an engine's API refused or failed a request
    │   ├── GatewayError         rta.pipeline.gateway: carries Flink's root cause
    │   ├── FlinkRestError       rta.pipeline.jobs
    │   ├── PinotAdminError      rta.pinot.admin
    │   ├── PinotQueryError      rta.pinot.query
    │   └── ServiceUnavailableError   the engine cannot be reached at all
    │       ├── KafkaUnavailableError rta.kafka.delivery (or a topic is missing)
    │       └── PinotUnavailableError rta.pinot.query (also a PinotQueryError)
    ├── CollectorError           rta.collector.server: the collector cannot listen or stopped
    ├── ReplayError              rta.replay: the file or Kafka failed a replay
    ├── SinkError                rta.generator.sinks: generated records were not written
    └── StackError               rta.stack.errors: local processes would not start or stop

Each subclass lives next to the code that raises it; this module holds only the
bases, so it imports nothing from rta and every layer may import it.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

__all__ = [
    "ConfigError",
    "InputError",
    "RtaError",
    "ServiceError",
    "ServiceUnavailableError",
]


class RtaError(Exception):
    """A failure rta can explain: str(exc) says what went wrong and what to do.

    `log` names a file with the details (a JVM's log), shown after the message.
    """

    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, log: Path | None = None) -> None:
        super().__init__(message)
        self.log = log


class ConfigError(RtaError):
    """Settings, or files rendered from them, that cannot work as given."""

    # The same code as a usage error and invalid RTA_* settings: the input, not the run.
    exit_code: ClassVar[int] = 2


class InputError(RtaError):
    """A file or event handed to rta is missing or does not satisfy the contract."""


class ServiceError(RtaError):
    """An engine (Kafka, Flink, Pinot) refused or failed what rta asked of it."""

    status: int | None = None
    """The HTTP status the engine answered with (rta.http sets it), for callers that
    explain a failure in words rather than show its body (`rta status`)."""


class ServiceUnavailableError(ServiceError):
    """An engine cannot be reached at all: not started, wrong address, or down."""
