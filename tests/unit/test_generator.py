"""Generator invariants over 100k events, determinism, chaos, sinks and the CLI."""

from __future__ import annotations

import itertools
import json
import uuid
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rta.cli import app
from rta.events import AddToCart, EventError, PageView, ProductView, Purchase, parse_event_json
from rta.generator import Chaos, EventStream, Funnel, GeneratorConfig, SimulatedClock, parse_start
from rta.generator.ids import uuid4_str
from rta.generator.timefmt import render_offset, render_z
from rta.generator.traffic import Traffic
from rta.testing import MemorySink, generate_lines

START = "2026-01-01T00:00:00Z"
AnyEvent = PageView | ProductView | AddToCart | Purchase


# Visits a few seconds long, so that 100 simulated seconds hold thousands of whole ones.
BRISK = Traffic(think_median_s=0.5)


@pytest.fixture(scope="module")
def clean() -> tuple[MemorySink, list[AnyEvent]]:
    sink, _ = generate_lines(100_000, seed=7, traffic=BRISK, warm=False)
    return sink, sink.events()  # every one must parse: parse_event_json raises otherwise


def _by_session(events: list[AnyEvent]) -> dict[str, list[AnyEvent]]:
    sessions: dict[str, list[AnyEvent]] = defaultdict(list)
    for e in events:
        sessions[e.session_id].append(e)
    return sessions


def _check_funnel(session: list[AnyEvent]) -> None:
    """In one session, in order: no cart before a view, no purchase before a cart."""
    viewed: set[str] = set()
    carted: set[str] = set()
    orders: dict[str, set[str]] = defaultdict(set)
    for e in session:
        if isinstance(e, Purchase):
            assert e.product_id in carted, "purchase before add_to_cart"
            assert e.product_id not in orders[e.order_id], "product twice in one order"
            orders[e.order_id].add(e.product_id)
        elif isinstance(e, AddToCart):
            assert e.product_id in viewed, "add_to_cart before product_view"
            carted.add(e.product_id)
        elif isinstance(e, ProductView):
            viewed.add(e.product_id)


def test_every_event_is_valid_and_unique(clean: tuple[MemorySink, list[AnyEvent]]) -> None:
    _sink, events = clean
    assert len(events) == 100_000
    assert len({e.event_id for e in events}) == len(events)
    for e in events[:1000]:
        assert uuid.UUID(e.event_id).version == 4
        assert uuid.UUID(e.session_id).version == 4
    assert {type(e) for e in events} == {PageView, ProductView, AddToCart, Purchase}


def test_keys_are_session_ids(clean: tuple[MemorySink, list[AnyEvent]]) -> None:
    sink, events = clean
    assert [k.decode() for k in sink.keys] == [e.session_id for e in events]


def test_funnel_order_within_sessions(clean: tuple[MemorySink, list[AnyEvent]]) -> None:
    sessions = _by_session(clean[1])
    assert len(sessions) > 10_000
    for session in sessions.values():
        assert isinstance(session[0], PageView)  # every visit lands on a page
        _check_funnel(session)


def test_sessions_interleave(clean: tuple[MemorySink, list[AnyEvent]]) -> None:
    first_100 = {e.session_id for e in clean[1][:100]}
    assert len(first_100) > 50


def test_purchase_lines(clean: tuple[MemorySink, list[AnyEvent]]) -> None:
    orders: dict[str, set[tuple[str, str]]] = defaultdict(set)
    lines = Counter[str]()
    for e in clean[1]:
        if isinstance(e, Purchase):
            assert e.total_amount == round(e.price * e.quantity, 2)
            orders[e.order_id].add((e.session_id, e.user_id))
            lines[e.order_id] += 1
    assert len(orders) > 500
    assert all(len(owners) == 1 for owners in orders.values())  # one session per order
    assert max(lines.values()) > 1  # some orders have several lines


def test_prices_have_two_decimals(clean: tuple[MemorySink, list[AnyEvent]]) -> None:
    for e in clean[1]:
        if isinstance(e, ProductView | AddToCart | Purchase):
            assert e.price == round(e.price, 2) and e.price > 0
            assert e.product_id.startswith("P") and len(e.product_id) == 7


def test_stable_attributes(clean: tuple[MemorySink, list[AnyEvent]]) -> None:
    users: dict[str, tuple[str, ...]] = {}
    session_user: dict[str, str] = {}
    user_sessions: dict[str, set[str]] = defaultdict(set)
    products: dict[str, tuple[object, ...]] = {}
    for e in clean[1]:
        attrs = (e.device_type, e.os, e.browser, e.location)
        assert users.setdefault(e.user_id, attrs) == attrs
        assert session_user.setdefault(e.session_id, e.user_id) == e.user_id
        user_sessions[e.user_id].add(e.session_id)
        if isinstance(e, ProductView | AddToCart | Purchase):
            p = (e.product_name, e.product_category, e.price)
            assert products.setdefault(e.product_id, p) == p
    assert max(len(s) for s in user_sessions.values()) > 1  # users come back


def test_device_combinations_are_plausible(clean: tuple[MemorySink, list[AnyEvent]]) -> None:
    combos = {(e.device_type, e.os, e.browser) for e in clean[1]}
    oses = {os for _, os, _ in combos}
    assert not {(d, o) for d, o, _ in combos if o in {"Windows", "macOS", "Linux"}} - {
        ("desktop", "Windows"),
        ("desktop", "macOS"),
        ("desktop", "Linux"),
    }
    assert ("iOS", "Edge") not in {(o, b) for _, o, b in combos}
    assert {"iOS", "Android", "Windows"} <= oses


def test_time_is_non_decreasing_within_sessions(
    clean: tuple[MemorySink, list[AnyEvent]],
) -> None:
    for session in _by_session(clean[1]).values():
        times = [e.timestamp for e in session]
        assert times == sorted(times)
    # Simulated time: the default step is 1 ms per record from --start.
    assert clean[1][0].event_timestamp == "2026-01-01T00:00:00.000Z"
    assert clean[1][-1].event_timestamp == "2026-01-01T00:01:39.999Z"


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    a, _ = generate_lines(20_000, seed=3)
    b, _ = generate_lines(20_000, seed=3)
    c, _ = generate_lines(20_000, seed=4)
    d, _ = generate_lines(20_000, seed=3, start="2026-06-01T00:00:00Z")
    assert a.lines == b.lines and a.keys == b.keys
    assert a.lines != c.lines
    assert a.lines != d.lines


def test_chaos_is_deterministic_too() -> None:
    chaos = Chaos(0.02, 5000, 0.02, 0.02, 0.02)
    a, _ = generate_lines(20_000, seed=3, chaos=chaos)
    b, _ = generate_lines(20_000, seed=3, chaos=chaos)
    assert a.lines == b.lines


@pytest.fixture(scope="module")
def chaotic() -> tuple[MemorySink, object]:
    chaos = Chaos(
        late_fraction=0.05,
        late_max_ms=5000,
        duplicate_fraction=0.03,
        invalid_fraction=0.02,
        tz_mix=0.04,
    )
    return generate_lines(100_000, seed=11, chaos=chaos, traffic=BRISK, warm=False)


def test_chaos_fractions_are_honoured(chaotic: tuple[MemorySink, object]) -> None:
    sink, summary = chaotic
    n = len(sink.lines)
    assert n == 100_000
    ids: Counter[str] = Counter()
    invalid = mixed = 0
    for line in sink.lines:
        try:
            e = parse_event_json(line)
        except EventError:
            invalid += 1
            continue
        ids[e.event_id] += 1
        mixed += ids[e.event_id] == 1 and not e.event_timestamp.endswith("Z")
    duplicates = sum(c - 1 for c in ids.values())
    assert invalid == pytest.approx(0.02 * n, rel=0.15)
    assert duplicates == pytest.approx(0.03 * n, rel=0.15)
    assert mixed == pytest.approx(0.04 * n, rel=0.15)
    stats = summary.stats  # type: ignore[attr-defined]
    assert (stats.invalid_total, stats.duplicates, stats.tz_mixed) == (invalid, duplicates, mixed)
    assert stats.late == pytest.approx(0.05 * n, rel=0.15)


def test_late_events_are_behind_by_at_most_the_bound(chaotic: tuple[MemorySink, object]) -> None:
    sink, summary = chaotic
    newest: datetime | None = None
    late = 0
    seen: set[str] = set()
    for line in sink.lines:
        try:
            e = parse_event_json(line)
        except EventError:
            continue
        if e.event_id in seen:
            continue  # a duplicate re-sends an older event: late by nature, not by delay
        seen.add(e.event_id)
        t = e.timestamp
        if newest is not None and t < newest:
            late += 1
            assert (newest - t).total_seconds() <= 5.0
        newest = t if newest is None else max(newest, t)
    assert late == pytest.approx(summary.stats.late, rel=0.2)  # type: ignore[attr-defined]


def test_valid_distinct_events_still_follow_the_funnel(
    chaotic: tuple[MemorySink, object],
) -> None:
    seen: set[str] = set()
    events = []
    for line in chaotic[0].lines:
        try:
            e = parse_event_json(line)
        except EventError:
            continue
        if e.event_id not in seen:
            seen.add(e.event_id)
            events.append(e)
    for session in _by_session(events).values():
        # Late events arrive out of order; their timestamps still tell the true order
        # (a 1 ms step gives every event its own timestamp).
        _check_funnel(sorted(session, key=lambda e: e.timestamp))


def test_timestamp_rendering_same_instant() -> None:
    t = parse_start("2026-03-29T01:59:59.999Z")
    z = render_z(t)
    assert z == "2026-03-29T01:59:59.999Z"
    for offset in (120, -300, 330):
        for micros in (False, True):
            other = render_offset(t, offset, micros)
            assert datetime.fromisoformat(other) == datetime.fromisoformat(z)
    assert render_offset(t, 330, True) == "2026-03-29T07:29:59.999000+05:30"


def test_uuid4_str_is_canonical() -> None:
    import random

    rnd = random.Random(0)
    for _ in range(1000):
        s = uuid4_str(rnd)
        u = uuid.UUID(s)
        assert str(u) == s and u.version == 4 and u.variant == uuid.RFC_4122


def test_funnel_can_be_tuned() -> None:
    no_carts = Funnel(view_to_cart=0.0)
    sink, _ = generate_lines(5000, funnel=no_carts)
    assert not any(isinstance(e, AddToCart | Purchase) for e in sink.events())
    with pytest.raises(ValueError, match="view_"):
        Funnel(view_to_cart=0.5, view_to_other=0.6)


def test_batches_are_exact() -> None:
    stream = EventStream(GeneratorConfig(seed=1), SimulatedClock(parse_start(START), 1.0))
    values, keys = stream.next_batch(123)
    assert len(values) == len(keys) == 123
    # More records than the pool of think times holds (they are drawn in runs of it).
    assert len(stream.think_ms) < 70_000
    values, keys = stream.next_batch(70_000)
    assert len(values) == len(keys) == 70_000


def test_simulated_clock_stamps_start_plus_i_steps() -> None:
    for step in (0, 1, 2.0, 1000.0, 0.5, 7.3):
        clock = SimulatedClock(1_767_225_600_000, step)
        times = clock.batch(5) + clock.batch(0) + clock.batch(1000)
        assert times == [1_767_225_600_000 + int(i * step) for i in range(1005)]
        assert clock.now_ms() == times[-1]


def test_pauses_beyond_the_timing_wheel_come_back() -> None:
    """Think times longer than the wheel's ~17.5 minutes wait apart and come back on time,
    and no visit in progress is lost on the way."""
    # A median of 15 minutes puts a third of the pauses beyond the wheel.
    traffic = Traffic(think_median_s=900.0, think_sigma=0.5)
    clock = SimulatedClock(parse_start(START), 1000.0)
    # No warm start: every pause beyond the wheel is scheduled by the hot loop.
    stream = EventStream(GeneratorConfig(seed=2, traffic=traffic), clock, rate=0.0)
    sink = MemorySink()
    for _ in range(8):  # 8,000 events, one per simulated second: 2.2 hours
        sink.write(*stream.next_batch(1000))
    gaps = [
        (b.timestamp - a.timestamp).total_seconds()
        for session in _by_session(sink.events()).values()
        for a, b in itertools.pairwise(session)
    ]
    assert max(gaps) > 20 * 60
    assert sum(gap > 17.5 * 60 for gap in gaps) > 0.2 * len(gaps)
    # Every visit in progress waits in the calendar (a wheel slot holds a visit, or a
    # bucket of visits due in the same ms), and only once.
    waiting = [v for x in stream._wheel if x for v in (x if isinstance(x[0], list) else [x])]
    waiting += [v for due in stream._far.values() for v in due] + list(stream._ready)
    assert len({id(v) for v in waiting}) == len(waiting) == stream.in_progress > 0


def test_stop_flag_ends_the_run_cleanly() -> None:
    import threading

    from rta.generator import run

    class StopAfter(MemorySink):
        def write(self, values: list[str], keys: list[bytes]) -> None:
            super().write(values, keys)
            if len(self.lines) >= 3000:
                stop.set()

    stop = threading.Event()
    chaos = Chaos(late_fraction=0.1)
    stream = EventStream(
        GeneratorConfig(seed=1, chaos=chaos), SimulatedClock(parse_start(START), 1.0)
    )
    sink = StopAfter()
    summary = run(stream, sink, stop=stop)
    assert summary.interrupted and sink.closed
    # Held-back late events were released, not dropped: every generated record was sent.
    assert summary.sent == summary.stats.records == len(sink.lines)
    assert stream.held == 0


def test_rate_paces_the_run() -> None:
    from rta.generator import run

    stream = EventStream(GeneratorConfig(seed=1), SimulatedClock(parse_start(START), 1.0))
    summary = run(stream, MemorySink(), count=300, rate=1000)
    assert 0.25 <= summary.elapsed_s < 2.0


runner = CliRunner()


def _rta(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_cli_stdout_has_exactly_the_events() -> None:
    code, out, err = _rta(
        "generate", "--sink", "stdout", "--count", "100", "--seed", "1", "--start", START,
        "--rate", "0",
    )  # fmt: skip
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 100
    for line in lines:
        parse_event_json(line)
    assert "sent 100 records to stdout" in err


def test_cli_is_deterministic_and_matches_the_library() -> None:
    args = ["generate", "--sink", "stdout", "-n", "500", "--seed", "5", "--start", START]
    _, out1, _ = _rta(*args, "--rate", "0")
    _, out2, _ = _rta(*args, "--rate", "0")
    assert out1 == out2
    sink, _ = generate_lines(500, seed=5, step_ms=1.0)
    assert out1.encode() == b"".join(line + b"\n" for line in sink.lines)


def test_cli_file_sink(tmp_path: Path) -> None:
    out = tmp_path / "events.jsonl"
    code, stdout, err = _rta(
        "generate", "--sink", "file", "-o", str(out), "-n", "1000", "--seed", "2",
        "--start", START, "--rate", "0", "--invalid-fraction", "0.1", "--tz-mix", "0.1",
    )  # fmt: skip
    assert code == 0, err
    assert stdout == ""
    lines = out.read_bytes().splitlines()
    assert len(lines) == 1000
    assert "invalid (" in err and "with other offsets" in err


def test_cli_duration_in_simulated_time() -> None:
    code, out, err = _rta(
        "generate", "--sink", "stdout", "--duration", "2", "--seed", "1", "--start", START,
        "--rate", "0", "--speedup", "2",
    )  # fmt: skip
    assert code == 0, err
    lines = out.splitlines()
    # 1000 records/s nominal, 2 simulated ms per record: 2 s = 1000 records.
    assert len(lines) == 1000
    assert json.loads(lines[-1])["event_timestamp"] == "2026-01-01T00:00:01.998Z"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--sink", "file"], "--output"),
        (["--sink", "stdout", "--start", "2026-01-01T00:00:00"], "time zone"),
        (["--sink", "stdout", "--late-fraction", "0.7", "--duplicate-fraction", "0.7"], "add up"),
    ],
)
def test_cli_rejects_bad_options(args: list[str], needle: str) -> None:
    code, out, err = _rta("generate", "-n", "1", *args)
    assert code == 2
    assert needle in err and out == ""


def test_cli_kafka_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("RTA_KAFKA__PORT", str(port))
    monkeypatch.setattr("rta.kafka.delivery.DEFAULT_CONNECT_TIMEOUT_S", 1.0)
    code, _out, err = _rta("generate", "-n", "1")
    assert code == 1
    assert f"cannot reach Kafka at 127.0.0.1:{port}" in err and "rta up" in err


def test_visit_ids_are_canonical_uuid4_and_event_ids_unique() -> None:
    import random

    from rta.generator.ids import EVENT_ID_MID, VISIT_BITS, visit_ids

    rnd = random.Random(0)
    seen: set[str] = set()
    for visit_no in range(300):
        session_id, head = visit_ids(rnd.getrandbits(VISIT_BITS), visit_no)
        # All bits set, and none: the version and variant must win either way.
        for sid, h in (
            (session_id, head),
            visit_ids((1 << VISIT_BITS) - 1, visit_no),
            visit_ids(0, visit_no),
        ):
            for k in (0, 1, 255, len(EVENT_ID_MID) - 1):
                event_id = h + EVENT_ID_MID[k][:3]
                for value in (sid, event_id):
                    u = uuid.UUID(value)
                    assert str(u) == value and u.version == 4 and u.variant == uuid.RFC_4122
        seen.update(head + EVENT_ID_MID[k][:3] for k in range(20))
    assert len(seen) == 300 * 20


def test_visit_id_block_is_visit_ids_in_bulk() -> None:
    import random

    from rta.generator.ids import VISIT_BITS, visit_id_block, visit_ids

    first = 2**36 - 500  # the visit numbers' scramble wraps inside the block
    session_ids, heads = visit_id_block(random.Random(3), first, 1000)
    drawn = random.Random(3).randbytes(VISIT_BITS // 8 * 1000)
    assert len(session_ids) == len(heads) == 1000
    for k in range(1000):
        session_id, head = visit_ids(int.from_bytes(drawn[26 * k : 26 * (k + 1)]), first + k)
        assert (session_ids[k], heads[k]) == (session_id, '{"event_id":"' + head)


def test_user_ids_are_unique_canonical_uuid4() -> None:
    import random

    from faker import Faker

    from rta.generator.population import Population

    pop = Population(1_000_000, random.Random(5), Faker("en_US"))
    ids = [pop.user(index).user_id for index in range(0, 1_000_000, 10)]
    assert len(set(ids)) == len(ids)
    for value in ids[:: len(ids) // 2000]:
        u = uuid.UUID(value)
        assert str(u) == value and u.version == 4 and u.variant == uuid.RFC_4122


def test_kafka_sink_polls_between_chunks_and_keeps_the_order() -> None:
    from rta.generator.kafka_sink import KafkaSink
    from rta.kafka.client import POLL_EVERY
    from rta.kafka.delivery import DeliveryTracker

    class Producer:
        def __init__(self) -> None:
            self.calls: list[tuple[str, object]] = []
            self.full = 2  # the queue is full for a while, in the middle

        def produce(self, topic: str, value: str, key: bytes) -> None:
            if value == "v1500" and self.full:
                self.full -= 1
                raise BufferError("Local: Queue full")
            self.calls.append(("produce", (topic, value, key)))

        def poll(self, timeout: float) -> int:
            self.calls.append(("poll", timeout))
            return 0

    producer = Producer()
    sink = KafkaSink(producer, DeliveryTracker(), "t")  # type: ignore[arg-type]
    n = 2 * POLL_EVERY + 500
    sink.write([f"v{i}" for i in range(n)], [f"k{i}".encode() for i in range(n)])
    sent = [args for what, args in producer.calls if what == "produce"]
    assert sent == [("t", f"v{i}", f"k{i}".encode()) for i in range(n)]
    # A poll after each chunk of POLL_EVERY, and one while the queue was full.
    assert [args for what, args in producer.calls if what == "poll"] == [0, 0.05, 0, 0]


def test_max_events_is_bounded_by_the_event_id_index() -> None:
    Funnel(max_events=2000)
    with pytest.raises(ValueError, match="max_events"):
        Funnel(max_events=2001)


def test_population_base_fields_match_the_user() -> None:
    import random

    from faker import Faker

    from rta.generator.population import Population

    pop = Population(1_000_000, random.Random(5), Faker("en_US"))
    for index in (0, 1, 99_999, 100_000, 999_999):
        user = pop.user(index)
        line = json.loads('{"x":"' + pop.base_fields(index, "S") + "}")
        assert (line["user_id"], line["session_id"]) == (user.user_id, "S")
        assert (line["device_type"], line["os"], line["browser"], line["location"]) == (
            user.device_type,
            user.os,
            user.browser,
            user.location,
        )
