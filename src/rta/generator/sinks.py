"""Where generated records go. A sink takes whole batches: values are JSON lines
(str, without newline) and keys the session_id bytes each is keyed by."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Protocol

from rta.errors import RtaError

__all__ = ["FileSink", "Sink", "SinkError", "StreamSink"]


class SinkError(RtaError):
    """Records could not be delivered (the message says how many and why)."""


class Sink(Protocol):
    waited_s: float
    """Seconds spent waiting for the destination (a broker's back-pressure, a
    collector's retries, the final flush); 0 for sinks that never wait."""

    def write(self, values: list[str], keys: list[bytes]) -> None:
        """Hand over one batch, in order."""
        ...

    def close(self) -> None:
        """Deliver everything still buffered; raise SinkError if anything was lost."""
        ...


class StreamSink:
    """JSON lines on a text stream (stdout): one record per line, nothing else."""

    waited_s = 0.0  # a stream or file takes every write at once

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, values: list[str], keys: list[bytes]) -> None:
        if values:
            # One write per batch: a write per line costs as much as making the line.
            self._stream.write("\n".join(values) + "\n")

    def close(self) -> None:
        self._stream.flush()


class FileSink(StreamSink):
    """A JSON-lines file (UTF-8, '\\n' line ends), created or truncated."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._file = path.open("w", encoding="utf-8", newline="\n", buffering=1 << 20)
        except OSError as exc:
            raise SinkError(f"cannot write {path}: {exc.strerror}") from None
        super().__init__(self._file)

    def close(self) -> None:
        self._file.close()
