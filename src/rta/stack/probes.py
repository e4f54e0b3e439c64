"""Readiness probes with deadlines that notice a dead process at once and show its log."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from rta.stack.errors import PortInUseError, StartupError
from rta.stack.process import ServiceProcess


def port_open(host: str, port: int, timeout_s: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def port_holder(port: int) -> str | None:
    """Describe the process listening on a TCP port, if any can be seen."""
    try:
        conns = psutil.net_connections(kind="tcp")
    except psutil.Error:
        return None
    for conn in conns:
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
            if conn.pid is None:
                return "an unknown process"
            try:
                proc = psutil.Process(conn.pid)
                cmd = " ".join(proc.cmdline())[:120]
                return f"pid {conn.pid} ({proc.name()}: {cmd})"
            except psutil.Error:
                return f"pid {conn.pid}"
    return None


def ensure_ports_free(component: str, host: str, ports: list[int]) -> None:
    for port in ports:
        holder = port_holder(port)
        if holder is not None or port_open(host, port):
            raise PortInUseError(
                f"{component} cannot start: port {port} on {host} is already in use by "
                f"{holder or 'another process'}. Stop it, or choose another port "
                f"(see `rta config`)."
            )


def log_tail(path: Path, lines: int = 25) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, 2)
            fh.seek(max(0, fh.tell() - 64_000))
            text = fh.read().decode(errors="replace")
    except FileNotFoundError:
        return "(no log written)"
    return "\n".join(text.splitlines()[-lines:])


def wait_ready(
    proc: ServiceProcess,
    check: Callable[[], bool],
    *,
    timeout_s: float,
    what: str,
    interval_s: float = 0.25,
) -> float:
    """Poll `check` until it is true; return the seconds it took.

    Fails fast if the process exits, and on any failure shows the tail of its log.
    """
    start = time.monotonic()
    while True:
        if not proc.is_running():
            code = proc.exit_code()
            raise StartupError(
                f"{proc.name} exited during start-up"
                + (f" with code {code}" if code is not None else "")
                + f" before {what}.\nLast lines of {proc.log_file}:\n{log_tail(proc.log_file)}",
                log=proc.log_file,
            )
        try:
            if check():
                return time.monotonic() - start
        except Exception:
            pass  # a probe that errors is simply not ready yet
        if time.monotonic() - start > timeout_s:
            raise StartupError(
                f"{proc.name} did not become ready ({what}) within {timeout_s:.0f} s.\n"
                f"Last lines of {proc.log_file}:\n{log_tail(proc.log_file)}",
                log=proc.log_file,
            )
        time.sleep(interval_s)
