from __future__ import annotations

import pytest

from rta.pipeline.script import render, split_statements
from rta.settings import Settings


@pytest.mark.parametrize("backend", ["rocksdb", "hashmap"])
def test_the_job_sets_its_own_state_backend(backend: str) -> None:
    # Set by the job, not the cluster, so `rta up` and the compose deployment agree.
    statements = split_statements(render(Settings(flink={"state_backend": backend})))  # type: ignore[arg-type]
    assert f"SET 'state.backend.type' = '{backend}'" in statements
    assert "SET 'execution.checkpointing.incremental' = 'true'" in statements


def test_rocksdb_is_the_default_backend() -> None:
    assert "SET 'state.backend.type' = 'rocksdb'" in split_statements(render(Settings()))


def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="state_backend"):
        Settings(flink={"state_backend": "memory"})  # type: ignore[arg-type]
