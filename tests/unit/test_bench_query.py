"""bench/query.py's own judgement: when a timed query read data, and when the
star-tree's answer equals the rows'."""

from __future__ import annotations

from bench.query import found_data, same_rows

from rta.pinot.query import QueryResult


def _result(columns: list[str], rows: list[list[object]], scanned: int) -> QueryResult:
    return QueryResult(columns, [], rows, stats={"numDocsScanned": scanned})  # type: ignore[arg-type]


def test_a_query_that_read_nothing_found_no_data() -> None:
    assert not found_data(_result(["event_type", "events"], [], 0))
    assert not found_data(_result(["minute", "users"], [[1, 2]], 0))
    assert found_data(_result(["minute", "users"], [[1, 2]], 10))


def test_a_count_from_segment_metadata_found_data_when_it_is_not_zero() -> None:
    assert found_data(_result(["count(*)", "max(event_time_ms)"], [[5_000_000, 1.0]], 0))
    assert not found_data(_result(["count(*)", "max(event_time_ms)"], [[0, None]], 0))


def test_sums_in_another_order_are_the_same_rows() -> None:
    assert same_rows([[1, 0.1 + 0.2, "a"], [2, 1.0, "b"]], [[2, 1.0, "b"], [1, 0.3, "a"]])
    assert not same_rows([[1, 0.3]], [[1, 0.31]])
    assert not same_rows([[1, 0.3]], [[1, 0.3], [2, 0.0]])
