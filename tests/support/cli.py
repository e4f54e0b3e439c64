"""The `rta` command as a test runs it: a subprocess of this interpreter."""

from __future__ import annotations

import subprocess
import sys


def run_rta(
    env: dict[str, str], *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """`python -m rta ARGS` with `env`, its output captured as text; never raises on
    a non-zero exit (tests assert on the code and the output)."""
    return subprocess.run(
        [sys.executable, "-m", "rta", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
