"""The oracle must be right before it can judge the pipeline.

Small hand-made cases, one fault per record. Like the oracle itself, these tests
import nothing from the product.
"""

from __future__ import annotations

import ast
import json
import re
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.support import oracle
from tests.support.oracle import Expected, check, compute, compute_lines, epoch_millis

U1, U2 = str(uuid.UUID(int=1)), str(uuid.UUID(int=2))
S1, S2 = str(uuid.UUID(int=11)), str(uuid.UUID(int=12))
T0 = "2026-11-25T10:00:00Z"
M0 = 1_795_600_800_000  # 2026-11-25T10:00:00Z in ms
M1 = M0 + 60_000

TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    "page_view": ("page_url", "referrer_url", "time_spent"),
    "product_view": ("product_id", "product_name", "product_category", "price"),
    "add_to_cart": ("product_id", "product_name", "product_category", "price", "quantity"),
    "purchase": (
        "product_id",
        "product_name",
        "product_category",
        "price",
        "quantity",
        "total_amount",
        "order_id",
    ),
}
BASE = (
    "event_id",
    "event_timestamp",
    "user_id",
    "session_id",
    "device_type",
    "os",
    "browser",
    "location",
)
ALL_TYPE_FIELDS = sorted({f for fields in TYPE_FIELDS.values() for f in fields})


def _event(
    n: int = 1,
    ts: str = T0,
    user: str = U1,
    session: str = S1,
    etype: str = "page_view",
    **extra: object,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": str(uuid.UUID(int=1000 + n)),
        "event_timestamp": ts,
        "user_id": user,
        "session_id": session,
        "device_type": "mobile",
        "os": "iOS",
        "browser": "Safari",
        "location": "Berlin",
        "event_type": etype,
    }
    if etype == "page_view":
        event |= {"page_url": "/", "referrer_url": "", "time_spent": 1.5}
    else:
        event |= {
            "product_id": "P1",
            "product_name": "Lamp",
            "product_category": "home",
            "price": 10.0,
        }
    if etype in ("add_to_cart", "purchase"):
        event["quantity"] = 1
    if etype == "purchase":
        event |= {"total_amount": 10.0, "order_id": "O1"}
    return event | extra


def _ev(*args: Any, **kwargs: Any) -> str:
    return json.dumps(_event(*args, **kwargs))


def _invariant(got: Expected) -> None:
    assert got.read == got.invalid_lines + got.duplicate_lines + got.distinct_events
    assert got.invalid_lines == sum(got.rejected.values())
    assert got.late_events == len(got.late)


# --- the oracle shares no code with the product --------------------------------------


ORACLE_SOURCE = Path(oracle.__file__).read_text(encoding="utf-8")
_RTA_IMPORT = re.compile(r"^\s*(import\s+rta\b|from\s+rta\b)", re.MULTILINE)


def test_oracle_does_not_import_rta() -> None:
    assert _RTA_IMPORT.search(ORACLE_SOURCE) is None


def test_oracle_imports_only_the_standard_library() -> None:
    modules: list[str] = []
    for node in ast.walk(ast.parse(ORACLE_SOURCE)):
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports"
            modules.append(node.module or "")
    assert modules
    assert {m.split(".")[0] for m in modules} <= set(sys.stdlib_module_names) | {"__future__"}


def test_these_tests_do_not_import_rta() -> None:
    assert _RTA_IMPORT.search(Path(__file__).read_text(encoding="utf-8")) is None


# --- the contract ------------------------------------------------------------------


@pytest.mark.parametrize("etype", TYPE_FIELDS)
def test_a_well_formed_event_of_each_type_is_valid(etype: str) -> None:
    line = _ev(etype=etype)
    assert check(line) is None
    assert check(line.encode()) is None
    assert check(line + "\n") is None  # one line of a JSON-lines file


def test_integers_are_numbers_and_zero_is_allowed() -> None:
    assert check(_ev(time_spent=0)) is None
    assert check(_ev(time_spent=3)) is None
    assert check(_ev(etype="purchase", price=0, total_amount=-0.0)) is None


def test_referrer_may_be_empty_but_must_be_present() -> None:
    assert check(_ev(referrer_url="")) is None
    event = _event()
    del event["referrer_url"]
    assert check(json.dumps(event)) == "referrer_url"
    assert check(_ev(referrer_url=None)) == "referrer_url"


@pytest.mark.parametrize(
    "record",
    ["{not json", "", "   ", b"\xff\xfe{", "[1, 2]", '"text"', "42", "null", "true", "{} {}"],
)
def test_not_a_json_object_is_event(record: str | bytes) -> None:
    assert check(record) == "event"


def test_a_number_that_overflows_a_double_is_not_a_number() -> None:
    line = _ev(etype="product_view", price=10.0).replace('"price": 10.0', '"price": 1e400')
    assert '"price": 1e400' in line
    assert check(line) == "price"


def test_non_standard_json_constants_are_not_json() -> None:
    line = _ev().replace('"time_spent": 1.5', '"time_spent": NaN')
    assert "NaN" in line
    assert check(line) == "event"
    assert check(_ev().replace('"time_spent": 1.5', '"time_spent": Infinity')) == "event"


@pytest.mark.parametrize("value", ["checkout", "PageView", "", None, 1, ["page_view"]])
def test_unknown_event_type(value: object) -> None:
    assert check(_ev(event_type=value)) == "event_type"


def test_missing_event_type() -> None:
    event = _event()
    del event["event_type"]
    assert check(json.dumps(event)) == "event_type"


@pytest.mark.parametrize("etype", TYPE_FIELDS)
def test_every_missing_or_null_field_is_named(etype: str) -> None:
    for field in BASE + TYPE_FIELDS[etype]:
        event = _event(etype=etype)
        del event[field]
        assert check(json.dumps(event)) == field, f"{field} missing"
        assert check(json.dumps(event | {field: None})) == field, f"{field} null"


@pytest.mark.parametrize("field", ["event_id", "user_id", "session_id"])
@pytest.mark.parametrize(
    "value",
    [
        "00000000-0000-0000-0000-00000000000A",  # upper case
        "00000000000000000000000000000001",  # no dashes
        "{00000000-0000-0000-0000-000000000001}",
        "00000000-0000-0000-0000-000000000001\n",  # `$` alone would accept this
        " 00000000-0000-0000-0000-000000000001",
        "",
        1,
    ],
)
def test_bad_uuids(field: str, value: object) -> None:
    assert check(_ev(**{field: value})) == field


@pytest.mark.parametrize(
    "ts",
    [
        "2026-11-25T10:00:00",  # no offset
        "2026-11-25 10:00:00Z",  # no 'T'
        "2026-11-25T10:00Z",  # no seconds
        "2026-11-25T10:00:00.1234567Z",  # 7 fraction digits
        "2026-11-25T10:00:00.Z",
        "2026-11-25T10:00:00+0200",  # offset without colon
        "2026-11-25T10:00:00+02",
        "2026-11-25T10:00:00z",
        "2026-11-25T10:00:00Z\n",
        "2026-02-30T10:00:00Z",  # not a calendar date
        "2026-13-01T10:00:00Z",
        "2026-11-25T24:00:00Z",  # hour 24
        "2026-11-25T10:60:00Z",
        "2026-11-25T10:00:00+24:00",  # offset of a day
        "\u0662\u0660\u0662\u0666-11-25T10:00:00Z",  # non-ASCII digits
        "2026-11-25",
        1_795_600_800_000,
        "",
    ],
)
def test_bad_timestamps(ts: object) -> None:
    assert check(_ev(event_timestamp=ts)) == "event_timestamp"


@pytest.mark.parametrize(
    "ts",
    [
        "2026-11-25T10:00:00Z",
        "2026-11-25T10:00:00.1Z",
        "2026-11-25T10:00:00.123456+05:30",
        "2026-11-25T10:00:00-00:00",
        "2028-02-29T23:59:59.999999+23:59",
    ],
)
def test_good_timestamps(ts: str) -> None:
    assert check(_ev(event_timestamp=ts)) is None


@pytest.mark.parametrize("field", ["device_type", "os", "browser", "location"])
@pytest.mark.parametrize("value", ["", 42, ["mobile"], {"x": 1}, True])
def test_base_strings_must_be_non_empty_json_strings(field: str, value: object) -> None:
    assert check(_ev(**{field: value})) == field


@pytest.mark.parametrize(
    ("etype", "field", "value"),
    [
        ("page_view", "page_url", ""),
        ("page_view", "page_url", 42),  # a number where a string is expected
        ("page_view", "referrer_url", 0),
        ("page_view", "time_spent", -0.5),
        ("page_view", "time_spent", "1.5"),  # a quoted number
        ("page_view", "time_spent", True),  # bool is not a number
        ("product_view", "product_id", ""),
        ("product_view", "product_id", 7),
        ("product_view", "product_name", ""),
        ("product_view", "product_category", None),
        ("product_view", "price", "9.99"),
        ("product_view", "price", -0.01),
        ("product_view", "price", False),
        ("product_view", "price", 10**400),  # too large for a double
        ("add_to_cart", "quantity", 0),
        ("add_to_cart", "quantity", -2),
        ("add_to_cart", "quantity", 2.0),  # a float, even if whole
        ("add_to_cart", "quantity", 1.5),
        ("add_to_cart", "quantity", "2"),
        ("add_to_cart", "quantity", True),
        ("purchase", "total_amount", -1.0),
        ("purchase", "total_amount", "10"),
        ("purchase", "order_id", ""),
        ("purchase", "order_id", 123),
        ("purchase", "quantity", 0),
    ],
)
def test_type_fields(etype: str, field: str, value: object) -> None:
    assert check(_ev(etype=etype, **{field: value})) == field


@pytest.mark.parametrize("etype", TYPE_FIELDS)
def test_fields_of_other_types_are_rejected_unless_null(etype: str) -> None:
    foreign = [f for f in ALL_TYPE_FIELDS if f not in TYPE_FIELDS[etype]]
    assert foreign
    for field in foreign:
        assert check(_ev(etype=etype, **{field: "x"})) == field
        # A JSON null decodes like an absent field, in Flink as here.
        assert check(_ev(etype=etype, **{field: None})) is None


@pytest.mark.parametrize("record", ["{}", '{"app_version": "1.2"}', '{"event_id": null}'])
def test_an_object_without_event_fields_is_not_an_event(record: str) -> None:
    assert check(record) == "event"


def test_fields_that_are_not_seed_fields_are_tolerated() -> None:
    assert check(_ev(app_version="1.2.3", extra=None, nested={"a": [1, 2]})) is None


def test_check_agrees_with_compute_rejected() -> None:
    lines = [
        "{not json",
        _ev(1, price=1.0),
        _ev(2, etype="add_to_cart", quantity=2.0),
        _ev(3, event_timestamp="2026-02-30T10:00:00Z"),
        _ev(4, etype="nope"),
        _ev(5),
    ]
    got = compute_lines(lines)
    assert got.rejected == {
        "event": 1,
        "price": 1,
        "quantity": 1,
        "event_timestamp": 1,
        "event_type": 1,
    }
    assert (got.invalid_lines, got.distinct_events, got.read) == (5, 1, 6)
    _invariant(got)


# --- event time -----------------------------------------------------------------------


def test_epoch_millis_handles_offsets_and_truncates() -> None:
    assert epoch_millis("1970-01-01T00:00:01Z") == 1000
    assert epoch_millis(T0) == M0
    assert epoch_millis("2026-11-25T12:00:00+02:00") == M0
    assert epoch_millis("2026-11-25T04:30:00.5-05:30") == M0 + 500
    assert epoch_millis("2026-11-25T10:00:00.9999Z") == M0 + 999  # truncated, not rounded
    assert epoch_millis("2026-11-25T10:00:00.000999Z") == M0
    assert epoch_millis("2026-11-25T10:00:59.999999Z") == M0 + 59_999
    assert epoch_millis("1969-12-31T23:59:59.9995Z") == -1  # floor before the epoch too
    assert epoch_millis("2026-11-25T10:00:00-00:00") == M0


def test_minute_boundaries() -> None:
    lines = [
        _ev(1, "2026-11-25T10:00:00Z", U1),  # exactly on the boundary: window M0
        _ev(2, "2026-11-25T10:00:59.999999Z", U2),  # last microsecond of M0
        _ev(3, "2026-11-25T11:01:00+01:00", U1),  # exactly M1, given with an offset
        _ev(4, "2026-11-25T09:59:59.999Z", U2),  # previous window
    ]
    got = compute_lines(lines)
    assert {k: v.active_users for k, v in got.active_users.items()} == {
        M0: 2,
        M1: 1,
        M0 - 60_000: 1,
    }
    assert all(v.window_end == k + 60_000 for k, v in got.active_users.items())
    assert oracle.window_start(M1 - 1) == M0 and oracle.window_start(M1) == M1


# --- the analytics --------------------------------------------------------------------


def test_windows_dedup_and_sessions() -> None:
    lines = [
        _ev(1, "2026-11-25T10:00:00Z", U1, S1, "page_view"),
        _ev(2, "2026-11-25T11:00:30+01:00", U1, S1, "product_view", price=10.0),
        _ev(3, "2026-11-25T10:00:59.999Z", U2, S2, "product_view", price=20.0),
        _ev(4, "2026-11-25T10:01:00Z", U2, S2, "product_view", price=30.0),
        _ev(5, "2026-11-25T10:01:10Z", U1, S1, "add_to_cart", quantity=2),
        _ev(6, "2026-11-25T10:01:20Z", U1, S1, "purchase", quantity=2, total_amount=20.0),
        _ev(7, "2026-11-25T10:01:20Z", U1, S1, "purchase", product_id="P2", price=5.0),
        "{not json",
    ]
    lines.append(lines[1])  # a duplicate delivery
    got = compute_lines(lines)
    _invariant(got)
    assert (got.read, got.invalid_lines, got.duplicate_lines, got.distinct_events) == (9, 1, 1, 7)
    assert got.late == [] and got.late_events == 0
    assert {k: v.active_users for k, v in got.active_users.items()} == {M0: 2, M1: 2}
    p0 = got.products[(M0, "P1")]
    assert (p0.window_end, p0.product_name, p0.product_category) == (M1, "Lamp", "home")
    assert (p0.view_count, p0.avg_price) == (2, 15.0)
    assert (got.products[(M1, "P1")].view_count, got.products[(M1, "P1")].avg_price) == (1, 30.0)
    assert set(got.products) == {(M0, "P1"), (M1, "P1")}  # only product_view counts
    s1 = got.sessions[(S1, U1)]
    assert (s1.event_count, s1.products_viewed, s1.products_added_to_cart) == (5, 1, 1)
    assert s1.purchases_made == 1  # two purchase events, one order_id
    assert (s1.session_start, s1.session_end) == (M0, M1 + 20_000)
    s2 = got.sessions[(S2, U2)]
    assert (s2.event_count, s2.products_viewed, s2.session_start, s2.session_end) == (
        2,
        1,
        M0 + 59_999,
        M1,
    )


def test_two_users_in_one_session_are_two_rows() -> None:
    got = compute_lines(
        [
            _ev(1, T0, U1, S1, "product_view"),
            _ev(2, "2026-11-25T10:00:05Z", U2, S1, "product_view", product_id="P2"),
            _ev(3, "2026-11-25T10:00:07Z", U2, S1, "add_to_cart"),
        ]
    )
    assert set(got.sessions) == {(S1, U1), (S1, U2)}
    a, b = got.sessions[(S1, U1)], got.sessions[(S1, U2)]
    assert (a.event_count, a.products_viewed, a.session_start, a.session_end) == (1, 1, M0, M0)
    assert (b.event_count, b.products_viewed, b.products_added_to_cart) == (2, 1, 1)
    assert (b.session_start, b.session_end) == (M0 + 5000, M0 + 7000)


def test_session_start_and_end_ignore_arrival_order() -> None:
    got = compute_lines(
        [_ev(1, "2026-11-25T10:00:30Z"), _ev(2, T0), _ev(3, "2026-11-25T10:00:10.0009Z")]
    )
    s = got.sessions[(S1, U1)]
    assert (s.event_count, s.session_start, s.session_end) == (3, M0, M0 + 30_000)


def test_duplicates_first_delivery_wins() -> None:
    first = _ev(1, T0, etype="product_view", price=10.0)
    again = _ev(1, "2026-11-25T10:00:20Z", U2, S2, "product_view", price=99.0)  # same id
    got = compute_lines([first, again, first])
    _invariant(got)
    assert (got.distinct_events, got.duplicate_lines) == (1, 2)
    assert got.products[(M0, "P1")].avg_price == 10.0
    assert set(got.sessions) == {(S1, U1)}
    assert got.active_users[M0].active_users == 1


def test_an_invalid_record_does_not_claim_its_event_id() -> None:
    bad = _ev(1, price=1.0)  # page_view with a product field
    good = _ev(1)
    got = compute_lines([bad, good])
    assert (got.invalid_lines, got.duplicate_lines, got.distinct_events) == (1, 0, 1)


def test_products_need_constant_name_and_category() -> None:
    lines = [
        _ev(1, etype="product_view"),
        _ev(2, "2026-11-25T10:05:00Z", etype="product_view", product_name="Lampe"),
    ]
    with pytest.raises(AssertionError, match="'P1'"):
        compute_lines(lines)


def test_empty_input() -> None:
    got = compute([])
    assert (got.read, got.active_users, got.products, got.sessions) == (0, {}, {}, {})
    _invariant(got)


# --- lateness -------------------------------------------------------------------------

BOUND, ALLOWED = 5000, 60_000
EDGE = BOUND + ALLOWED  # exactly this far behind the partition's high still counts


def _at(ms: int) -> str:
    """An RFC 3339 timestamp for epoch ms (UTC)."""
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


def test_at_helper() -> None:
    assert epoch_millis(_at(M0 + 12_345)) == M0 + 12_345


@pytest.mark.parametrize(
    ("behind", "late"), [(EDGE - 1, False), (EDGE, False), (EDGE + 1, True), (10 * EDGE, True)]
)
def test_lateness_at_the_edge(behind: int, late: bool) -> None:
    high = M0 + 10 * 60_000
    got = compute_lines([_ev(1, _at(high), U1), _ev(2, _at(high - behind), U2)])
    assert got.late == ([str(uuid.UUID(int=1002))] if late else [])
    assert got.late_events == int(late)
    counted = sum(v.active_users for v in got.active_users.values())
    assert counted == (1 if late else 2)
    assert got.distinct_events == 2  # late events are still distinct events
    _invariant(got)


def test_bound_and_allowed_are_parameters() -> None:
    lines = [_ev(1, _at(M0 + 10_000)), _ev(2, _at(M0))]
    assert compute_lines(lines, bound_ms=5000, allowed_ms=5000).late == []
    assert compute_lines(lines, bound_ms=5000, allowed_ms=4999).late_events == 1
    assert compute_lines(lines, bound_ms=0, allowed_ms=0).late_events == 1


def test_late_events_still_count_in_sessions_not_in_windows() -> None:
    lines = [
        _ev(1, _at(M0 + 5 * 60_000), U1, S1, "page_view"),
        _ev(2, _at(M0), U1, S1, "product_view"),  # 5 minutes behind: late
    ]
    got = compute_lines(lines)
    assert got.late == [str(uuid.UUID(int=1002))]
    assert got.products == {}
    assert set(got.active_users) == {M0 + 5 * 60_000}
    s = got.sessions[(S1, U1)]
    assert (s.event_count, s.products_viewed, s.session_start) == (2, 1, M0)


def test_lateness_is_judged_per_partition() -> None:
    far = M0 + 10 * 60_000
    records: list[tuple[int, bytes | str]] = [
        (0, _ev(1, _at(far), U1)),  # partition 0 runs far ahead
        (1, _ev(2, _at(M0), U2)),  # partition 1's own high is M0: not late
        (1, _ev(3, _at(M0 + EDGE + 1000), U2)),
        (1, _ev(4, _at(M0 + 999), U1)),  # EDGE + 1 behind partition 1's high: late
        (0, _ev(5, _at(far - EDGE), U2)),  # exactly the edge in partition 0: not late
    ]
    got = compute(records)
    assert got.late == [str(uuid.UUID(int=1004))]
    assert got.distinct_events == 5
    _invariant(got)
    # The same records on one partition: partition 0's high makes 2, 3 and 4 late.
    assert compute_lines(r for _, r in records).late_events == 3


def test_invalid_records_do_not_move_the_high() -> None:
    far = _at(M0 + 10 * 60_000)
    lines = [_ev(1, far, price=1.0), _ev(2, _at(M0))]  # 1 is invalid (foreign field)
    got = compute_lines(lines)
    assert (got.invalid_lines, got.late_events) == (1, 0)


def test_duplicates_move_the_high_but_are_never_late() -> None:
    far = M0 + 10 * 60_000
    lines = [
        _ev(1, _at(M0)),  # first delivery, on time
        _ev(1, _at(far)),  # same event_id, later time: a duplicate, but it moves the high
        _ev(2, _at(M0)),  # late only because the duplicate moved the high
        _ev(1, _at(M0)),  # a duplicate far behind the high: ignored, not late
    ]
    got = compute_lines(lines)
    assert got.duplicate_lines == 2
    assert got.late == [str(uuid.UUID(int=1002))]
    _invariant(got)


def test_a_duplicate_raises_the_high_of_its_own_partition() -> None:
    far = M0 + 10 * 60_000
    line = _ev(1, _at(far))
    records: list[tuple[int, bytes | str]] = [
        (0, line),
        (1, line),  # duplicate, but valid: partition 1's high becomes `far`
        (1, _ev(2, _at(M0))),
    ]
    got = compute(records)
    assert (got.duplicate_lines, got.late) == (1, [str(uuid.UUID(int=1002))])


def test_a_late_first_delivery_then_an_on_time_duplicate_stays_late() -> None:
    far = M0 + 10 * 60_000
    records: list[tuple[int, bytes | str]] = [
        (0, _ev(9, _at(far))),
        (0, _ev(1, _at(M0))),  # late in partition 0
        (1, _ev(1, _at(M0))),  # on time in partition 1, but a duplicate: ignored
    ]
    got = compute(records)
    assert got.late == [str(uuid.UUID(int=1001))]
    assert set(got.active_users) == {oracle.window_start(far)}
    assert got.sessions[(S1, U1)].event_count == 2


def test_highs_from_earlier_traffic() -> None:
    far = M0 + 10 * 60_000
    highs = {1: far}
    records: list[tuple[int, bytes | str]] = [(0, _ev(1, _at(M0))), (1, _ev(2, _at(M0)))]
    got = compute(records, highs=highs)
    assert got.late == [str(uuid.UUID(int=1002))]  # only partition 1 had seen `far`
    assert highs == {1: far}  # not modified
    assert compute(records).late == []
    # A high behind the events changes nothing.
    assert compute(records, highs={0: M0 - 10 * 60_000, 1: M0}).late == []


def test_compute_lines_is_compute_on_partition_zero() -> None:
    lines = [_ev(1, _at(M0 + 5 * 60_000)), _ev(2, _at(M0)), "{", _ev(1, _at(M0))]
    assert compute_lines(lines) == compute((0, line) for line in lines)
    assert compute_lines(lines, highs={0: M0 + 60 * 60_000}).late_events == 2
