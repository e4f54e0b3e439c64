"""Fault drills: kill one part of the shared stack mid-stream, let rta's watch bring it
back (as `rta up` does, foreground or detached), and check that nothing was lost and
nothing counted twice: every column of the three analytics and the raw count equal the
oracle's once the stream is through.

Each drill feeds a third of its stream before a checkpoint, a third live while the
process is SIGKILLed (records in flight, between checkpoints), and the last third after
the watch reports the component back (tests.support.drills.run_drill).
"""

from __future__ import annotations

import signal

import pytest
from tests.support.drills import run_drill
from tests.support.timeline import next_range_start

from rta.settings import Settings
from rta.stack import supervisor
from rta.stack.process import ServiceProcess

pytestmark = pytest.mark.integration


def _process(settings: Settings, component: str, name: str) -> ServiceProcess:
    comp = next(c for c in supervisor.components(settings) if c.name == component)
    return next(p for p in comp.processes() if p.name == name)


def _kill(settings: Settings, component: str, name: str) -> None:
    proc = _process(settings, component, name).process()
    assert proc is not None, f"{name} is not running before the drill"
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)


@pytest.mark.parametrize(
    ("component", "process"),
    [
        ("flink", "flink-taskmanager"),
        ("flink", "flink-jobmanager"),
        ("kafka", "kafka"),
        ("pinot", "pinot"),
    ],
    ids=["taskmanager", "jobmanager", "kafka-broker", "pinot"],
)
def test_a_process_killed_mid_stream_loses_nothing(
    stack: Settings, component: str, process: str
) -> None:
    said = run_drill(stack, next_range_start(), lambda: _kill(stack, component, process), component)
    print("\n".join(said))  # what `rta up` says of the fault (the README quotes it)
    assert any(f"{process} exited with code" in s or f"{process} is not running" in s for s in said)
