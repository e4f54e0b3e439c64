"""What `rta up` prints per component: where its start-up seconds went."""

from __future__ import annotations

from rta.stack.supervisor import StepResult
from rta.terminal import describe_result


def test_a_started_component_splits_its_time_into_start_and_set_up() -> None:
    r = StepResult("flink", "started", 59.6, ("pipeline submitted (job 1)",), ready_s=14.2)
    assert describe_result(r) == (
        "[green]✓[/green] flink: started in 59.6 s "
        "(up in 14.2 s, set-up 45.4 s: pipeline submitted (job 1))"
    )


def test_one_already_running_or_remote_shows_only_what_it_set_up() -> None:
    r = StepResult("kafka", "already running", 0.3, ("created a", "created b", "c", "d"))
    assert describe_result(r) == (
        "[green]✓[/green] kafka: already running in 0.3 s (created a, created b and 2 more)"
    )
    assert describe_result(StepResult("pinot (remote)", "remote", 0.1)) == (
        "[green]✓[/green] pinot (remote): remote in 0.1 s"
    )
