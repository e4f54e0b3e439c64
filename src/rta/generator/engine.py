"""The hot loop: interleave the visits in progress into one stream of JSON lines.

Each visit waits for its next event, due one think time after its last one, in a
calendar of millisecond slots. Every record the clock hands out goes to the visit
that has been due longest; when no visit is due yet, a new one starts. So the number
of visits in progress follows from the rate and the think times by itself
(rta.generator.traffic), and a visit lasts as long as its think times add up to,
whatever the rate.

A visit is planned in full when it starts, into one flat list (see _new_visit):
its event ids' shared head, the fields its events share, and each event's
type-specific part. Per event this does a dict step or two and one f-string of six
pieces with a cached timestamp: no Faker, no pydantic, no uuid4, no json.dumps, no
per-event format call. Everything slower (planning a visit, chaos) happens once per
visit or for a small fraction of records.

Where the time goes is in bench/README.md (generator); bench/generator_engine.py
measures it without Kafka.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from math import floor
from random import Random
from typing import Any

from faker import Faker

from rta.generator.chaos import Chaos, make_invalid
from rta.generator.clock import Clock
from rta.generator.funnel import Funnel, SessionPlanner
from rta.generator.ids import EVENT_ID_MID, uuid4_str, visit_id_block
from rta.generator.population import Population, build_catalogue, build_pages
from rta.generator.timefmt import MILLIS_Z, MIXED_OFFSETS, render_offset, second_prefix
from rta.generator.traffic import Traffic

__all__ = ["EventStream", "GeneratorConfig", "Stats"]

# A visit in progress is one flat list, so an event touches one object of it:
# [index of its next event's part, key, event id head, base, part, part, ...].
# The head is '{"event_id":"' and all of the id but its last 3 hex digits, which
# EVENT_ID_MID[i - _FIRST] gives with the text up to the timestamp; the base is every
# field after the timestamp that the visit's events share (user, session, device).
_NEXT, _KEY, _HEAD, _BASE, _FIRST = 0, 1, 2, 3, 4
# EVENT_ID_MID by position in the visit's list instead of by event index.
_ID_MID: tuple[str, ...] = ("",) * _FIRST + EVENT_ID_MID

# The calendar of visits waiting for their next event is a timing wheel: a list with a
# slot per ms of the next _WHEEL ms (17 minutes), where the slot of time `at` is
# at & _MASK; the rare later ones wait in a dict by ms. Scanning the wheel reads memory
# in order, and a slot holds its visit itself, or a _Bucket when several are due in the
# same ms: with tens of thousands of visits in progress, most of the time an event
# costs goes to cache misses, and a dict's table and a list per slot double them.
_WHEEL_BITS = 20
_WHEEL = 1 << _WHEEL_BITS
_MASK = _WHEEL - 1
_NEVER = 1 << 62  # no visit waits in far (epoch ms are far below it)

# New visits' ids are made this many at a time (rta.generator.ids.visit_id_block).
_ID_BLOCK = 1024


class _Bucket(list[Any]):
    """Visits due in the same ms, in the order they were scheduled."""

    __slots__ = ()


@dataclass(frozen=True)
class GeneratorConfig:
    """What to simulate; the same config and seed give the same events."""

    seed: int
    users: int = 1_000_000
    products: int = 200
    funnel: Funnel = field(default_factory=Funnel)
    chaos: Chaos = field(default_factory=Chaos)
    traffic: Traffic = field(default_factory=Traffic)

    def __post_init__(self) -> None:
        for name in ("users", "products"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: must be >= 1")


@dataclass
class Stats:
    """Counts of records handed out so far, by what they are."""

    records: int = 0
    sessions: int = 0
    late: int = 0
    duplicates: int = 0
    tz_mixed: int = 0
    invalid: dict[str, int] = field(default_factory=dict)

    @property
    def invalid_total(self) -> int:
        return sum(self.invalid.values())

    @property
    def events(self) -> int:
        """Distinct valid events (records less duplicates and invalid lines)."""
        return self.records - self.duplicates - self.invalid_total


class EventStream:
    """Batches of (values, keys): JSON lines and the session_id bytes they are keyed by."""

    def __init__(self, config: GeneratorConfig, clock: Clock, rate: float | None = None) -> None:
        """`rate`: events per second of event time the stream will run at (default: a
        simulated clock's own); the visits in progress when the stream starts are made
        for it, so the first minute looks like the ones after. 0: start with none."""
        self.config = config
        self.rate = rate if rate is not None else float(getattr(clock, "rate", 0.0))
        self.stats = Stats()
        self.clock = clock
        self._rnd = Random(config.seed)
        fake = Faker("en_US")
        fake.seed_instance(config.seed)
        self.population = Population(config.users, self._rnd, fake)
        self.catalogue = build_catalogue(config.products, self._rnd, fake)
        self._planner = SessionPlanner(
            config.funnel, self.catalogue, build_pages(self.catalogue), self._rnd
        )
        self._think = config.traffic.think_pool(self._rnd)
        self._think_bits = len(self._think).bit_length() - 1
        if len(self._think) != 1 << self._think_bits:
            raise ValueError("the think-time pool's size must be a power of 2")
        # The pool twice over, so that _think_draws() takes any run of it as one slice.
        self._think_ring = self._think + self._think
        self._visit_offset = self._rnd.getrandbits(36)
        self._new_visit = self._make_new_visit()
        self._sec = -1
        self._sec_prefix = ""
        # Late events wait here: (release time ms, tie-breaker, value, key).
        self._held: list[tuple[int, int, str, bytes]] = []
        self._held_seq = 0
        # Duplicates copy a record sent in this or the previous batch, never an invalid one.
        self._prev: tuple[list[str], list[bytes]] = ([], [])
        self._invalid_recent: set[str] = set()
        self._invalid_prev: set[str] = set()
        # Visits in progress: the calendar (wheel, and far: due ms -> visits, with the
        # earliest of those ms); visits already due, longest first; the next ms not yet
        # moved to `_ready`. O(1) per event where a heap of tens of thousands of visits
        # costs a few microseconds.
        self._wheel: list[Any] = [None] * _WHEEL
        self._far: dict[int, list[list[Any]]] = {}
        self._far_next = _NEVER
        self._ready: deque[list[Any]] = deque()
        self._scan: int | None = None
        self._ended = 0  # visits whose last event is out (in_progress = sessions - ended)
        self._last: list[Any] | None = None

    def _make_new_visit(self) -> Callable[[], list[Any]]:
        """new_visit(): a visit planned in full, as the flat list the hot loop reads.

        A closure over what it reads, because it runs for every fourth event or so and
        attribute look-ups on self would cost as much as the rest. The session id and
        the head of the visit's event ids come from _visit_ids() (rta.generator.ids).
        """
        rnd, stats = self._rnd, self.stats
        random = rnd.random
        traffic, users = self.config.traffic, self.config.users
        base_fields = self.population.base_fields
        plan_into = self._planner.plan_into
        explorer_share = traffic.explorer_share
        # Traffic.user_index inlined, with the same floating-point steps.
        skew_a = 1.0 - traffic.user_skew
        skew_c, skew_inv = (users + 1) ** skew_a - 1.0, 1.0 / skew_a
        last_user = users - 1
        next_ids = self._visit_ids().__next__

        def new_visit() -> list[Any]:
            user = int((1.0 + random() * skew_c) ** skew_inv) - 1
            session_id, head = next_ids()
            base = base_fields(user if user < last_user else last_user, session_id)
            visit = [_FIRST, session_id.encode(), head, base]
            plan_into(visit, random() < explorer_share)
            stats.sessions += 1
            return visit

        return new_visit

    def _visit_ids(self) -> Iterator[tuple[str, str]]:
        """(session id, event id head) of each new visit, in visit order. Made
        _ID_BLOCK visits at a time: one random draw and a few dozen slice copies per
        block cost a fraction of formatting each visit's ids on its own."""
        first = self._visit_offset
        while True:
            session_ids, heads = visit_id_block(self._rnd, first, _ID_BLOCK)
            first += _ID_BLOCK
            yield from zip(session_ids, heads, strict=True)

    def _warm_up(self, t0: int) -> None:
        """Visits already in progress at t0, about as many as the rate keeps going
        (Little's law with the think times' mean), each somewhere after its first event:
        the stream starts in the steady state instead of with a rush of new visits."""
        traffic = self.config.traffic
        # (mean events per visit - 1) / mean events is about 0.8 for shop-like funnels.
        target = round(self.rate * traffic.think_mean_s * 0.8)
        rnd, think = self._rnd, self._think
        made = 0
        while made < target:
            v = self._new_visit()
            n = len(v) - _FIRST
            if n < 2:
                self.stats.sessions -= 1  # a one-event visit is never between two events
                continue
            v[_NEXT] = _FIRST + 1 + floor(rnd.random() * (n - 1))
            at = t0 + floor(rnd.random() * think[floor(rnd.random() * len(think))])
            self._schedule(v, at)
            made += 1

    def _schedule(self, v: list[Any], at: int) -> None:
        """Put visit v in the calendar at `at` (>= _scan), as the hot loop does."""
        assert self._scan is not None and at >= self._scan
        if at - self._scan < _WHEEL:
            i = at & _MASK
            x = self._wheel[i]
            if x is None:
                self._wheel[i] = v
            elif x.__class__ is _Bucket:
                x.append(v)
            else:
                self._wheel[i] = _Bucket((x, v))
        else:
            self._far.setdefault(at, []).append(v)
            self._far_next = min(self._far_next, at)

    def sample_visit(self) -> list[str]:
        """A new visit's events (their type-specific parts), planned as the stream plans
        them: for describing the model (rta.generator.model)."""
        self._ended += 1  # never in progress
        return self._new_visit()[_FIRST:]

    @property
    def think_ms(self) -> list[int]:
        """The pool think times are drawn from, in ms."""
        return self._think

    @property
    def in_progress(self) -> int:
        """Visits that have begun and wait for their next event."""
        return self.stats.sessions - self._ended

    @property
    def held(self) -> int:
        """Late events generated but not yet released."""
        return len(self._held)

    def next_batch(self, count: int) -> tuple[list[str], list[bytes]]:
        """Generate `count` new records; also release late ones that are due.

        Late records generated here may come out of a later batch or drain().
        """
        values: list[str] = []
        keys: list[bytes] = []
        add_value, add_key = values.append, keys.append
        wheel, far, ready = self._wheel, self._far, self._ready
        pop_ready, ready_one, ready_all = ready.popleft, ready.append, ready.extend
        bucket, ended, mask, horizon = _Bucket, self._ended, _MASK, _WHEEL
        new_visit = self._new_visit
        random = self._rnd.random
        held = self._held
        chaos_p = self.config.chaos.total
        id_mid, millis_z = _ID_MID, MILLIS_Z
        sec, sec_prefix = self._sec, self._sec_prefix
        sec_ms = sec * 1000
        times = self.clock.batch(count)
        if self._scan is None and times:
            self._scan = times[0]
            self._warm_up(times[0])
        scan = self._scan if self._scan is not None else 0
        # Far holds a few visits at any time, so it is nearly never empty: compare with
        # its earliest ms rather than look every ms up in it.
        far_next = self._far_next
        v: list[Any] | None = self._last
        for t, think in zip(times, self._think_draws(len(times)), strict=True):
            if held and held[0][0] <= t:
                while held and held[0][0] <= t:
                    _, _, value, key = heapq.heappop(held)
                    add_value(value)
                    add_key(key)
            ms = t - sec_ms
            if not 0 <= ms < 1000:
                sec = t // 1000
                sec_ms = sec * 1000
                sec_prefix = second_prefix(sec)
                ms = t - sec_ms
            while scan <= t:
                if scan >= far_next:  # scheduled before what the wheel holds for this ms
                    ready_all(far.pop(far_next))
                    far_next = min(far) if far else _NEVER
                slot = scan & mask
                x = wheel[slot]
                if x is not None:
                    wheel[slot] = None
                    if x.__class__ is bucket:
                        ready_all(x)
                    else:
                        ready_one(x)
                scan += 1
            if chaos_p and random() < chaos_p:
                self._scan, self._last, self._ended = scan, v, ended
                self._far_next = far_next
                self._chaos(t, sec_prefix + millis_z[ms], values, keys)
                v, ended, far_next = self._last, self._ended, self._far_next
                continue
            # The visit due longest, or a new one when none is due yet.
            v = pop_ready() if ready else new_visit()
            i = v[0]
            add_value(f"{v[2]}{id_mid[i]}{sec_prefix}{millis_z[ms]}{v[3]}{v[i]}")
            add_key(v[1])
            i += 1
            if i < len(v):
                v[0] = i
                at = t + think
                if at - scan < horizon:  # _schedule() inlined; at >= scan > t
                    slot = at & mask
                    x = wheel[slot]
                    if x is None:
                        wheel[slot] = v
                    elif x.__class__ is bucket:
                        x.append(v)
                    else:
                        wheel[slot] = bucket((x, v))
                else:
                    far.setdefault(at, []).append(v)
                    if at < far_next:
                        far_next = at
            else:
                ended += 1
        self._sec, self._sec_prefix = sec, sec_prefix
        self._scan, self._last, self._ended = scan, v, ended
        self._far_next = far_next
        self.stats.records += count
        self._prev = (values, keys)
        self._invalid_prev, self._invalid_recent = self._invalid_recent, set()
        return values, keys

    def _think_draws(self, count: int) -> list[int]:
        """Think times for `count` events: runs of the pool from random places. The pool
        holds independent draws, so a run of it is as random as drawing each one, and a
        slice costs nothing next to a getrandbits() and an index per event."""
        pool, ring, bits = self._think, self._think_ring, self._think_bits
        getrandbits = self._rnd.getrandbits
        draws: list[int] = []
        while len(draws) < count:
            at = getrandbits(bits)
            draws += ring[at : at + min(count - len(draws), len(pool))]
        return draws

    def _step(self, t: int, ts: str) -> tuple[list[Any], str]:
        """The next event of the visit due longest (or of a new visit), rendered with
        timestamp `ts`, as the hot loop takes it: for the slow path, after the hot loop
        has moved due visits to ready."""
        v = self._ready.popleft() if self._ready else self._new_visit()
        i = v[_NEXT]
        v[_NEXT] = i + 1
        if i + 1 < len(v):
            self._schedule(v, t + self._think[self._rnd.getrandbits(self._think_bits)])
        else:
            self._ended += 1
        self._last = v
        return v, f"{v[_HEAD]}{_ID_MID[i]}{ts}{v[_BASE]}{v[i]}"

    def drain(self) -> tuple[list[str], list[bytes]]:
        """Release every held late event (at the end of a run), oldest due first."""
        held = sorted(self._held)
        self._held.clear()
        return [h[2] for h in held], [h[3] for h in held]

    def _chaos(self, t: int, ts: str, values: list[str], keys: list[bytes]) -> None:
        """One record of the slow path: late, duplicate, invalid or mixed-offset."""
        chaos, rnd, stats = self.config.chaos, self._rnd, self.stats
        r = rnd.random() * chaos.total
        if r < chaos.duplicate_fraction:
            pool_v, pool_k = (values, keys) if values else self._prev
            if pool_v:
                j = int(rnd.random() * len(pool_v))
                if pool_v[j] not in self._invalid_recent and pool_v[j] not in self._invalid_prev:
                    values.append(pool_v[j])
                    keys.append(pool_k[j])
                    stats.duplicates += 1
                    return
            r = chaos.total  # nothing to copy yet: fall through to a normal event
        elif r < chaos.duplicate_fraction + chaos.invalid_fraction and self._last:
            # A broken copy of a step of the visit served last (any step of it), with an
            # id of its own: a random one, which no valid event of the run has.
            v = self._last
            part = v[_FIRST + int(rnd.random() * (len(v) - _FIRST))]
            event_id = uuid4_str(rnd)
            line = f'{{"event_id":"{event_id}","event_timestamp":"{ts}{v[_BASE]}{part}'
            line, kind = make_invalid(line, rnd)
            values.append(line)
            keys.append(v[_KEY])
            self._invalid_recent.add(line)
            stats.invalid[kind] = stats.invalid.get(kind, 0) + 1
            return
        elif r < chaos.duplicate_fraction + chaos.invalid_fraction:
            r = chaos.total  # no visit in progress to break yet: a normal event
        # Late, mixed-offset, or a normal event: the next step of a visit.
        late = chaos.duplicate_fraction + chaos.invalid_fraction + chaos.late_fraction
        if chaos.late_fraction and r < late:
            delay = 1 + int(rnd.random() * chaos.late_max_ms)
            v, value = self._step(t, ts)
            self._held_seq += 1
            heapq.heappush(self._held, (t + delay, self._held_seq, value, v[_KEY]))
            stats.late += 1
            return
        if r < chaos.total and chaos.tz_mix:
            offset = MIXED_OFFSETS[int(rnd.random() * len(MIXED_OFFSETS))]
            ts = render_offset(t, offset, micros=rnd.random() < 0.5)
            stats.tz_mixed += 1
        v, value = self._step(t, ts)
        values.append(value)
        keys.append(v[_KEY])
