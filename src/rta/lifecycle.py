"""The stack as one thing: start its processes, provision them, and stop them cleanly.

`rta.stack` starts and stops local processes; `rta.provision` sets rta up on whatever
engines the settings name. This module joins the two the way `rta up`, `rta down`,
the integration tests and the benches all want them joined: each engine is provisioned
as soon as it answers (topics right after Kafka, so that producers can start while
Pinot and Flink are still booting), and the pipeline job takes a final savepoint
before Flink stops, so that the next `up` resumes where this one stopped.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence

from rta.pipeline.jobs import FlinkRestError
from rta.pipeline.submit import stop as stop_pipeline
from rta.provision import ENGINE, PARTS, Part, provision
from rta.settings import Settings
from rta.stack import supervisor
from rta.stack.supervisor import COMPONENTS, StepResult

Notify = Callable[[str], None]


def up(
    settings: Settings,
    notify: Notify = lambda _: None,
    on_result: Callable[[StepResult], None] = lambda _: None,
    *,
    names: Sequence[str] = COMPONENTS,
    parts: Sequence[Part] = PARTS,
) -> list[StepResult]:
    """Start the local components among `names` and provision `parts` on each engine as
    it answers; return one result per component, with what provisioning changed."""

    def on_ready(name: str) -> list[str]:
        mine = [p for p in parts if ENGINE[p] == name]
        return [c for step in provision(settings, mine, notify) for c in step.changes]

    return supervisor.up(settings, notify, on_result, on_ready=on_ready, names=names)


def down(settings: Settings, notify: Notify = lambda _: None) -> list[StepResult]:
    """Stop every local component in reverse start order (the collector before Kafka),
    the pipeline job first with a final savepoint. Remote engines, and the job on a
    remote Flink, are left alone."""

    def before_stop(engine: str) -> None:
        if engine != "flink":
            return
        notify("savepoint of the pipeline on flink")
        # The retained checkpoints are the fallback; stopping must go on.
        with contextlib.suppress(FlinkRestError):
            stop_pipeline(settings, timeout_s=60)

    return supervisor.down(settings, notify, before_stop=before_stop)
