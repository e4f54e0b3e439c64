from __future__ import annotations

from pathlib import Path

import pytest

from rta.pipeline import submit as submit_module
from rta.pipeline.gateway import GatewayError, StatementResult
from rta.pipeline.plan import plan_file, with_plan
from rta.pipeline.script import render, split_statements
from rta.settings import Settings


def _plan(settings: Settings) -> Path | None:
    return plan_file(settings, split_statements(render(settings)))


def test_stacks_on_other_ports_share_one_plan(tmp_path: Path) -> None:
    # The plan names tables only (00-config.sql); their options come from the DDL.
    a = _plan(Settings(cache_dir=tmp_path, kafka={"port": 9092}))  # type: ignore[arg-type]
    b = _plan(Settings(cache_dir=tmp_path, kafka={"port": 39092}))  # type: ignore[arg-type]
    assert a == b
    assert a is not None and a.parent == tmp_path.resolve() / "flink-plans"


def test_a_change_that_shapes_the_job_gets_a_plan_of_its_own(tmp_path: Path) -> None:
    a = _plan(Settings(cache_dir=tmp_path))
    b = _plan(Settings(cache_dir=tmp_path, flink={"watermark_bound_s": 7}))  # type: ignore[arg-type]
    assert a != b


def test_a_remote_flink_plans_the_sql(tmp_path: Path) -> None:
    # EXECUTE PLAN reads a path on the gateway's machine, which is not this one.
    remote = Settings(cache_dir=tmp_path, flink={"rest_url": "http://flink:8081"})  # type: ignore[arg-type]
    assert _plan(remote) is None


def test_the_first_submission_compiles_the_plan_then_runs_it(tmp_path: Path) -> None:
    statements = ["SET 'a' = 'b'", "EXECUTE STATEMENT SET\nBEGIN\nINSERT INTO t SELECT 1;\nEND"]
    plan = tmp_path / "plans" / "p.json"
    assert with_plan(statements, plan) == [
        "SET 'a' = 'b'",
        f"COMPILE PLAN '{plan}' FOR STATEMENT SET\nBEGIN\nINSERT INTO t SELECT 1;\nEND",
        f"EXECUTE PLAN '{plan}'",
    ]
    assert plan.parent.is_dir()  # the gateway writes the file, not its directory


def test_later_submissions_only_run_the_plan(tmp_path: Path) -> None:
    plan = tmp_path / "p.json"
    plan.write_text("{}")
    statements = ["SET 'a' = 'b'", "EXECUTE STATEMENT SET BEGIN INSERT INTO t SELECT 1; END"]
    assert with_plan(statements, plan) == ["SET 'a' = 'b'", f"EXECUTE PLAN '{plan}'"]


def test_the_job_sets_no_operator_ids_and_names_tables_only() -> None:
    # What lets plan and SQL restore each other's savepoints, and ports change.
    statements = split_statements(render(Settings()))
    assert "SET 'table.exec.uid.generation' = 'DISABLED'" in statements
    assert "SET 'table.plan.compile.catalog-objects' = 'IDENTIFIER'" in statements
    assert "SET 'table.plan.restore.catalog-objects' = 'IDENTIFIER'" in statements


class _Rest:
    def __init__(self, url: str) -> None: ...
    def active_job(self) -> None:
        return None

    def close(self) -> None: ...


class _Gateway:
    """Fails the first script that runs a plan; records every script it is given."""

    scripts: list[list[str]]

    def __init__(self, url: str) -> None: ...

    def run_script(
        self, statements: list[str], properties: object, on_statement: object
    ) -> list[StatementResult]:
        self.scripts.append(statements)
        if any(s.startswith("EXECUTE PLAN") for s in statements):
            raise GatewayError("Cannot load the plan")
        return [StatementResult(statements[-1], "job-1", [], 0.1)]

    def close(self) -> None: ...


def test_a_plan_that_fails_is_dropped_and_the_sql_planned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(submit_module, "FlinkRest", _Rest)
    # Each run of the test records its own scripts: no list left over from another.
    monkeypatch.setattr(_Gateway, "scripts", [], raising=False)
    monkeypatch.setattr(submit_module, "SqlGateway", _Gateway)
    settings = Settings(cache_dir=tmp_path)
    plan = _plan(settings)
    assert plan is not None
    plan.parent.mkdir(parents=True)
    plan.write_text("{not a plan")
    sub = submit_module.submit(settings, resume=False)
    assert sub.job_id == "job-1"
    first, second = _Gateway.scripts
    assert first[-1] == f"EXECUTE PLAN '{plan}'"
    assert second[-1].startswith("EXECUTE STATEMENT SET")
    assert not plan.exists()  # the next start compiles a new one
