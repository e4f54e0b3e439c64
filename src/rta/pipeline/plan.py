"""The pipeline's compiled plan: plan the SQL once, submit the plan at every start.

Planning the job's one statement set is most of the local Flink's start-up
(docs/performance.md, "Start-up"), and it gives the same plan every time the SQL and
Flink are the same. So the first submission runs `COMPILE PLAN` into a file of the
cache directory and `EXECUTE PLAN` on it; later ones only `EXECUTE PLAN`.

The file is named after a hash of Flink's version and the rendered SQL, with the
Kafka address left out: 00-config.sql has the plan refer to tables by name only,
so that the tables' options (hosts, ports, topics) are read from the DDL of the
session that executes it, and stacks on other ports share one plan. It also turns
off operator ids for compiled plans: the job from a plan then has the same operator
hashes as the one planned from SQL, so each restores the other's savepoints.

Only a local cluster uses it: `EXECUTE PLAN` reads a path on the gateway's machine.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import re
from pathlib import Path

from rta.settings import Settings

__all__ = ["plan_file", "with_plan"]

_EXECUTE = re.compile(r"^\s*EXECUTE\s+", re.I)


def plan_file(settings: Settings, statements: list[str]) -> Path | None:
    """Where the plan of these statements is kept; None when Flink is not local."""
    if settings.flink.is_remote:
        return None
    text = "\n".join(statements).replace(settings.kafka.bootstrap, "<kafka>")
    flink = importlib.metadata.version("apache-flink")
    key = hashlib.sha256(f"{flink}\n{text}".encode()).hexdigest()[:20]
    return (settings.cache_dir / "flink-plans" / f"{key}.json").resolve()


def with_plan(statements: list[str], plan: Path) -> list[str]:
    """The statements with the last one (the job's statement set) run from `plan`,
    compiled first if there is no such file yet."""
    *setup, job = statements
    run = [f"EXECUTE PLAN '{plan}'"]
    if not plan.exists():
        plan.parent.mkdir(parents=True, exist_ok=True)
        run.insert(0, f"COMPILE PLAN '{plan}' FOR {_EXECUTE.sub('', job)}")
    return [*setup, *run]
