"""rta's Flink SQL functions (jvm/flink/src, 15-functions.sql) accept exactly what the
oracle accepts, and read the same instant, on tens of thousands of ids and timestamps:
well-formed ones over the whole calendar and offsets, and random corruptions of them.

The functions run in a plain JVM (no Flink cluster): they are pure, so what they
return there is what the job computes. The pipeline's contract tests then cover them
inside the job, on the corpus of bad records.
"""

from __future__ import annotations

import random
import subprocess
import uuid

import pytest
from tests.integration.conftest import REPO
from tests.support import oracle

from rta.settings import Settings
from rta.stack.artifacts import lib_dir
from rta.stack.flink import FUNCTIONS_JAR, flink_home
from rta.stack.java import find_java

pytestmark = pytest.mark.integration

_CORRUPTIONS = "0123456789abcdefABCDEF-TtZz:+-. \n\u00e9\u0663"
_EDGES = [
    "",
    "0000-01-01T00:00:00Z",
    "0001-01-01T00:00:00+23:59",
    "9999-12-31T23:59:59.999999-23:59",
    "1969-12-31T23:59:59.9Z",
    "1582-10-10T12:00:00Z",
    "2024-02-29T00:00:00Z",
    "2023-02-29T00:00:00Z",
    "1900-02-29T00:00:00Z",
    "2000-02-29T00:00:00Z",
    "2026-04-31T00:00:00Z",
    "2026-12-31T24:00:00Z",
    "2026-01-01T00:00:60Z",
    "2026-01-01T00:00:00.Z",
    "2026-01-01T00:00:00.1234567Z",
    "2026-01-01T00:00:00Z\n",
    "2026-01-01t00:00:00Z",
    "2026-01-01T00:00:00z",
    "2026-01-01T00:00:00+0100",
    "2026-01-01T00:00:00+05:60",
    "2026-01-01T00:00:00+24:00",
    "2026-01-01T00:00:00",
    "\u0662026-01-01T00:00:00Z",
]


def _corrupt(rnd: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rnd.randint(1, 3)):
        i = rnd.randrange(len(chars) + 1)
        op = rnd.random()
        if op < 0.4 and chars:
            chars[min(i, len(chars) - 1)] = rnd.choice(_CORRUPTIONS)
        elif op < 0.7:
            chars.insert(i, rnd.choice(_CORRUPTIONS))
        elif chars:
            del chars[min(i, len(chars) - 1)]
    return "".join(chars)


def _cases(seed: int = 7) -> list[str]:
    rnd = random.Random(seed)
    cases = set(_EDGES)
    for _ in range(3000):
        u = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
        cases |= {u, u.upper(), _corrupt(rnd, u)}
    years = [1, 4, 100, 400, 1582, 1600, 1900, 1969, 1970, 2000, 2024, 2026, 2100, 9999]
    zones = ["Z", "+00:00", "-00:00", "+05:30", "-11:59", "+23:59", "+24:00", "-03:60", "z", ""]
    for _ in range(20000):
        year = rnd.choice([*years, rnd.randint(1, 9999)])
        digits = "".join(rnd.choice("0123456789") for _ in range(rnd.randint(1, 7)))
        fraction = rnd.choice(["", f".{rnd.randint(0, 9)}", f".{digits}"])
        ts = (
            f"{year:04d}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 31):02d}T{rnd.randint(0, 23):02d}"
            f":{rnd.randint(0, 59):02d}:{rnd.randint(0, 59):02d}{fraction}{rnd.choice(zones)}"
        )
        cases |= {ts, _corrupt(rnd, ts)}
    return sorted(cases)


def _run_functions(strings: list[str]) -> list[tuple[bool, bool, int | None]]:
    java = find_java(Settings().java_home).executable
    # Where the local stack takes it from, checked the same way.
    jar = lib_dir(REPO / ".cache" / "jvm", "flink-lib", required=(FUNCTIONS_JAR,)) / FUNCTIONS_JAR
    # ScalarFunction and what it loads: the table API and Flink's core.
    lib = flink_home() / "lib"
    names = ("flink-table-api-java-uber", "flink-dist")
    flink = [next(lib.glob(f"{name}-*.jar")) for name in names]
    classpath = ":".join(str(p) for p in [jar, *flink])
    done = subprocess.run(
        [java, "-cp", classpath, str(REPO / "tests" / "support" / "FlinkFunctions.java")],
        input="\n".join(s.encode().hex() for s in strings) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    rows = []
    for line in done.stdout.splitlines():
        is_uuid, layout, ms = line.split(" ")
        rows.append((is_uuid == "1", layout == "1", None if ms == "null" else int(ms)))
    return rows


def test_rta_functions_agree_with_the_oracle() -> None:
    cases = _cases()
    got = _run_functions(cases)
    assert len(got) == len(cases)
    wrong = []
    for text, (is_uuid, layout, ms) in zip(cases, got, strict=True):
        valid = oracle.is_timestamp(text)
        want_ms = oracle.epoch_millis(text) if valid else None
        # The layout check alone lets days past the month's end through (RTA_EPOCH_MS
        # refuses them, with the contract's calendar reason): it accepts every valid
        # timestamp, and nothing that RTA_EPOCH_MS reads.
        if is_uuid != oracle.is_uuid(text) or ms != want_ms or (valid and not layout):
            wrong.append((text, (is_uuid, layout, ms), (oracle.is_uuid(text), valid, want_ms)))
    assert not wrong, f"{len(wrong)} of {len(cases)} disagree, first: {wrong[:5]}"
    # The corpus reaches every outcome, so the comparison could fail.
    assert sum(1 for _, (u, _l, _m) in zip(cases, got, strict=True) if u) > 1000
    assert sum(1 for _, (_u, _l, m) in zip(cases, got, strict=True) if m is not None) > 5000
    assert any(layout and m is None for _, (_u, layout, m) in zip(cases, got, strict=True))
