"""rta's own HTTP services (collector, dashboard) as supervised processes of the stack.

They run as `python -m rta <command>` children rather than threads of `rta up`: a
crash, a blocked event loop or a memory leak in one cannot take the session down with
it, `rta down` and `rta status` find them by pid file like the JVMs, and they outlive a
`rta up --detach`. The child rebuilds the same settings from RTA_* variables.
"""

from __future__ import annotations

import sys
from pathlib import Path

import httpx

from rta.layout import Layout
from rta.settings import Settings, settings_env
from rta.stack.component import Component
from rta.stack.probes import ensure_ports_free, wait_ready
from rta.stack.process import ServiceProcess

__all__ = ["RtaService", "collector_service", "dashboard_service", "watchdog_process"]

# A Python process with FastAPI and librdkafka imports in about two seconds; the rest
# of the budget is for a loaded machine.
START_TIMEOUT_S = 60.0


class RtaService(Component):
    """`python -m rta <command...>` listening on host:port, ready when GET /healthz is 200."""

    def __init__(
        self, settings: Settings, name: str, command: list[str], host: str, port: int
    ) -> None:
        self.settings = settings
        self.name = name
        self.command = command
        self.host = host
        self.port = port
        self.layout = Layout(settings.state_dir)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def ports(self) -> list[int]:
        return [self.port]

    def processes(self) -> list[ServiceProcess]:
        return [
            ServiceProcess(
                name=self.name,
                argv=[sys.executable, "-m", "rta", *self.command],
                log_file=self.layout.log_file(self.name),
                pid_file=self.layout.pid_file(self.name),
                cwd=Path.cwd(),  # where the relative state dir and rta.toml are
                env=settings_env(self.settings),
            )
        ]

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    def start(self) -> None:
        ensure_ports_free(self.name, self.host, self.ports())
        (proc,) = self.processes()
        proc.start()
        wait_ready(proc, self.healthy, timeout_s=START_TIMEOUT_S, what=f"{self.url}/healthz")


def collector_service(settings: Settings) -> RtaService:
    c = settings.collector
    return RtaService(settings, "collector", ["collector"], c.host, c.port)


def dashboard_service(settings: Settings) -> RtaService:
    d = settings.dashboard
    return RtaService(settings, "dashboard", ["dashboard"], d.host, d.port)


def watchdog_process(settings: Settings) -> ServiceProcess:
    """`python -m rta watch`: the watchdog a `rta up --detach` leaves running. Not a
    component: nothing listens, nothing depends on it, and `up` must not start it in
    parallel with what it watches."""
    layout = Layout(settings.state_dir)
    return ServiceProcess(
        name="watchdog",
        argv=[sys.executable, "-m", "rta", "watch"],
        log_file=layout.log_file("watchdog"),
        pid_file=layout.watchdog_pid_file,
        cwd=Path.cwd(),
        env=settings_env(settings),
    )
