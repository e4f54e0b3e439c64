"""Find a JDK that every engine of the stack accepts."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from rta.stack.errors import JavaError

MIN_VERSION = 17
# Flink 2.2's standalone scripts and Pinot 0.11 are not supported on newer runtimes.
MAX_VERSION = 21


@dataclass(frozen=True)
class Java:
    executable: Path
    version: int

    @property
    def home(self) -> Path:
        return self.executable.parent.parent


def find_java(java_home: Path | None) -> Java:
    """The `java` of java_home if given, else the one on PATH; checked for version."""
    if java_home is not None:
        exe = java_home / "bin" / "java"
        if not exe.is_file():
            raise JavaError(
                f"Java not found: {exe} does not exist. "
                "Point JAVA_HOME (or RTA_JAVA_HOME) at a JDK 17 installation."
            )
    else:
        found = shutil.which("java")
        if found is None:
            raise JavaError(
                "Java not found: no `java` on PATH and JAVA_HOME is not set. "
                "Install a JDK 17 (e.g. `apt-get install openjdk-17-jdk-headless`)."
            )
        exe = Path(found).resolve()
    version = _version_of(exe, exe.stat().st_mtime_ns)
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise JavaError(
            f"Java {version} at {exe} is not supported: the stack needs Java "
            f"{MIN_VERSION}..{MAX_VERSION} (17 recommended). Set JAVA_HOME to such a JDK."
        )
    return Java(exe, version)


@functools.lru_cache(maxsize=8)
def _version_of(exe: Path, mtime_ns: int) -> int:
    """`java -version`, once per executable and modification time: the watch resolves
    Java on every check (every few seconds), and starting a JVM for it each time costs
    CPU that the stack needs."""
    try:
        out = subprocess.run(
            [str(exe), "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError as exc:
        raise JavaError(f"Java at {exe} cannot be run: {exc}") from None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if match is None:
        raise JavaError(f"Could not read the version of {exe}: {out.stderr.strip()[:200]}")
    major = int(match.group(1))
    # Java 8 and older report "1.8"; anything that old is rejected by the range check.
    return int(match.group(2)) if major == 1 and match.group(2) else major
