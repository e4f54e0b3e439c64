"""What every component of the local stack provides to the supervisor."""

from __future__ import annotations

from abc import ABC, abstractmethod
from importlib import resources
from pathlib import Path

from rta.stack.process import ServiceProcess
from rta.templates import fill_file


def render_template(name: str, dest: Path, **values: object) -> Path:
    text = fill_file(resources.files("rta.stack").joinpath("templates", name), **values)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(text)
    return dest


class Component(ABC):
    """A locally started service: prepare files, run processes, probe readiness."""

    name: str

    @abstractmethod
    def ports(self) -> list[int]: ...

    @abstractmethod
    def processes(self) -> list[ServiceProcess]: ...

    @abstractmethod
    def start(self) -> None:
        """Prepare state, start the processes and block until the component is ready."""

    def is_running(self) -> bool:
        return any(p.is_running() for p in self.processes())

    def stop(self, timeout_s: float = 30.0) -> bool:
        stopped = False
        # Stop in reverse start order: dependants before what they depend on.
        for proc in reversed(self.processes()):
            stopped |= proc.stop(timeout_s)
        return stopped
