"""rta's contract, the oracle and the pipeline's generated filter agree, record by record."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime

import pytest
from tests.support import oracle
from tests.support.corpus import build

from rta.events import EventError, parse_event_json
from rta.pipeline.contract import contract_rules, violation_sql

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
    sql = violation_sql()
    assert "$'" not in sql and "\\z'" in sql


def test_source_columns_match_the_contract() -> None:
    from importlib import resources

    text = resources.files("rta.pipeline").joinpath("sql", "20-tables.sql").read_text()
    source = text[text.index("CREATE TABLE raw_events") : text.index("src_partition")]
    for rule in contract_rules().all_fields:
        assert f"  {rule.name} {rule.sql_type}," in source, rule.name


def test_fast_path_patterns_cannot_match_the_separator() -> None:
    from rta.pipeline.contract import _anchored_body

    assert _anchored_body("^[0-9a-f]{8}$") == "[0-9a-f]{8}"
    assert _anchored_body("^a([.][0-9])?(Z|[+-]x)$") == "a([.][0-9])?(Z|[+-]x)"
    for unsafe in ("^a.b$", "^[^x]$", "^a\\sb$", "^a b$", "^\\S+$", "^[a ]$", "[0-9]", "^x"):
        assert _anchored_body(unsafe) is None, unsafe


def _joined_pattern() -> tuple[list[str], str]:
    from rta.pipeline.contract import _fast_path

    fast = _fast_path(contract_rules())
    assert fast is not None
    condition, _ = fast
    m = re.search(r"REGEXP\((.*?), '(.*)'\)$", condition)
    assert m is not None
    fields = [f.strip() for f in m.group(1).split("|| ' ' ||")]
    return fields, m.group(2).replace(r"\z", r"\Z")


VALUES = {
    "uuid": [
        "0b7e9f6c-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
        "0B7E9F6C-1A2B-4C3D-8E9F-0A1B2C3D4E5F",
        "0b7e9f6c-1a2b-4c3d-8e9f-0a1b2c3d4e5",
        "0b7e9f6c 1a2b-4c3d-8e9f-0a1b2c3d4e5f",
        "",
    ],
    "event_timestamp": [
        "2026-01-01T10:00:00Z",
        "2026-01-01T10:00:00.123456+05:30",
        "2026-01-01 10:00:00Z",
        "2026-13-01T10:00:00Z",
        "2026-01-01T10:00:00",
    ],
}


def test_the_joined_pattern_matches_exactly_when_every_field_matches() -> None:
    # Python's re reads these patterns as Java does; \z is Python's \Z.
    fields, joined = _joined_pattern()
    rules = {r.name: r for r in contract_rules().base}
    own = {f: re.compile(rules[f].pattern.rstrip("$") + r"\Z") for f in fields}
    pools = [VALUES["event_timestamp" if f == "event_timestamp" else "uuid"] for f in fields]
    # Spaces inside a value must not let the fields shift: two values with a space.
    pools = [[*pool, f"{pool[0]} {pool[0]}"] for pool in pools]
    seen = set()
    for values in itertools.product(*pools):
        every = all(own[f].match(v) for f, v in zip(fields, values, strict=True))
        assert bool(re.match(joined, " ".join(values))) == every, values
        seen.add(every)
    assert seen == {True, False}


def test_the_fast_path_leaves_the_calendar_check_after_the_pattern() -> None:
    from rta.pipeline.contract import _fast_path

    fast = _fast_path(contract_rules())
    assert fast is not None
    condition, left = fast
    # CAST(SUBSTR(...)) of a string the pattern has not matched would fail the job.
    assert "CAST(" not in condition
    assert [why for _, why in left] == ["event_timestamp: not a valid calendar date"]
    assert violation_sql(fast_path=False) in violation_sql()
