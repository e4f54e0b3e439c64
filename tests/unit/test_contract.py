"""rta's contract, the oracle and the pipeline's generated filter agree, record by record."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from tests.support import oracle
from tests.support.corpus import build

from rta.events import EventError, parse_event_json
from rta.pipeline.contract import ContractRules, contract_rules, violation_sql

CASES = build(datetime(2030, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_oracle_names_the_wrong_field(case) -> None:  # type: ignore[no-untyped-def]
    assert oracle.check(case.record) == case.field


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_rta_contract_agrees_with_the_oracle(case) -> None:  # type: ignore[no-untyped-def]
    if case.field is None:
        parse_event_json(case.record)
        return
    with pytest.raises(EventError) as info:
        parse_event_json(case.record)
    # The oracle's "event" covers non-objects and objects without event fields.
    named = info.value.reason
    assert case.field in named or (case.field == "event" and "event" in named), named


def test_generated_filter_covers_every_contract_field() -> None:
    rules = contract_rules()
    sql = violation_sql(rules)
    for rule in rules.all_fields:
        assert f"'{rule.name}: is missing" in sql, rule.name
    for etype in rules.event_types:
        assert f"event_type = '{etype}'" in sql


def test_generated_patterns_end_without_a_line_break_escape() -> None:
    # Java's '$' matches before a final line break; the SQL must use '\z'.
    sql = violation_sql(functions=False)
    assert "$'" not in sql and "\\z'" in sql


def test_ids_and_timestamps_are_checked_by_rtas_functions() -> None:
    sql = violation_sql()
    assert "REGEXP" not in sql
    for column in ("event_id", "user_id", "session_id"):
        assert f"NOT RTA_IS_UUID({column}) THEN '{column}: must be a UUID" in sql
    assert "NOT RTA_IS_RFC3339(event_timestamp) THEN 'event_timestamp: must be" in sql
    assert "RTA_EPOCH_MS(event_timestamp) IS NULL THEN 'event_timestamp: not a valid" in sql


def _with_pattern(field: str, pattern: str) -> ContractRules:
    """The contract with one base field's pattern changed."""
    rules = contract_rules()
    base = tuple(replace(r, pattern=pattern) if r.name == field else r for r in rules.base)
    return replace(rules, base=base)


def test_a_pattern_no_function_implements_is_checked_with_regexp() -> None:
    sql = violation_sql(_with_pattern("user_id", "^u-[0-9]+$"))
    assert "NOT REGEXP(user_id, '^u-[0-9]+\\z') THEN 'user_id: must be a UUID" in sql
    assert "NOT RTA_IS_UUID(event_id)" in sql


def test_a_timestamp_pattern_rta_epoch_ms_does_not_read_is_refused() -> None:
    with pytest.raises(ValueError, match="RTA_EPOCH_MS"):
        violation_sql(_with_pattern("event_timestamp", "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))


def test_source_columns_match_the_contract() -> None:
    from importlib import resources

    text = resources.files("rta.pipeline").joinpath("sql", "20-tables.sql").read_text()
    source = text[text.index("CREATE TABLE raw_events") : text.index("src_partition")]
    for rule in contract_rules().all_fields:
        assert f"  {rule.name} {rule.sql_type}," in source, rule.name
