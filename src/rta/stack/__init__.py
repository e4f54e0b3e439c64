"""The local stack: real Kafka, Flink and Pinot processes on 127.0.0.1, supervised by rta.

Exception tree (what a caller catches):

    StackError                 anything that stops the stack from coming up or down
    ├── JavaError              no usable JDK (missing, too old, too new)
    ├── PortInUseError         a port we need is held by another process
    ├── ArtifactsMissingError  `make setup` has not resolved the JVM artefacts
    └── StartupError           a component exited or did not become ready in time
"""

from rta.stack.errors import (
    ArtifactsMissingError,
    JavaError,
    PortInUseError,
    StackError,
    StartupError,
)

__all__ = [
    "ArtifactsMissingError",
    "JavaError",
    "PortInUseError",
    "StackError",
    "StartupError",
]
