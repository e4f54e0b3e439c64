"""The hot loop: interleave the visits in progress into one stream of JSON lines.

Each visit waits for its next event, due one think time after its last one, in a
calendar of millisecond slots. Every record the clock hands out goes to the visit
that has been due longest; when no visit is due yet, a new one starts. So the number
of visits in progress follows from the rate and the think times by itself
(rta.generator.traffic), and a visit lasts as long as its think times add up to,
whatever the rate.

Per event this does a dict step or two, one list index and one string join with a
cached timestamp: no Faker, no pydantic, no uuid4, no json.dumps. Everything slower
(planning a visit, chaos) happens once per visit or for a small fraction of records.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, field
from random import Random
from typing import Any

from faker import Faker

from rta.generator.chaos import Chaos, make_invalid
from rta.generator.clock import Clock
from rta.generator.funnel import Funnel, SessionPlanner
from rta.generator.ids import MASK48, MULT, event_id_suffix, uuid4_str
from rta.generator.population import Population, build_catalogue, build_pages
from rta.generator.timefmt import MILLIS_Z, MIXED_OFFSETS, render_offset, second_prefix
from rta.generator.traffic import Traffic

__all__ = ["EventStream", "GeneratorConfig", "Stats"]

_HEAD = '{"event_id":"'
_MID = '","event_timestamp":"'


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
        self._id_offset = self._rnd.getrandbits(48)
        self._ids = 0
        self._sec = -1
        self._sec_prefix = ""
        # Late events wait here: (release time ms, tie-breaker, value, key).
        self._held: list[tuple[int, int, str, bytes]] = []
        # Duplicates copy a record sent in this or the previous batch, never an invalid one.
        self._prev: tuple[list[str], list[bytes]] = ([], [])
        self._invalid_recent: set[str] = set()
        self._invalid_prev: set[str] = set()
        # Visits in progress: due ms -> visits due then; visits already due, longest
        # first; the next slot not yet moved to `_ready`. O(1) per event where a heap of
        # tens of thousands of visits costs a few microseconds.
        self._slots: dict[int, list[list[Any]]] = {}
        self._ready: deque[list[Any]] = deque()
        self._scan: int | None = None
        self._last: list[Any] | None = None

    def _new_session(self) -> list[Any]:
        rnd = self._rnd
        traffic = self.config.traffic
        user = self.population.json_parts(traffic.user_index(rnd.random(), self.config.users))
        session_id = uuid4_str(rnd)
        explorer = rnd.random() < traffic.explorer_share
        base, parts = self._planner.plan(user, session_id, explorer)
        self.stats.sessions += 1
        # [head with a per-session event-id prefix, key, next part's index, base, parts]
        return [_HEAD + uuid4_str(rnd)[:24], session_id.encode(), 0, base, parts]

    def _warm_up(self, t0: int) -> None:
        """Visits already in progress at t0, about as many as the rate keeps going
        (Little's law with the think times' mean), each somewhere after its first event:
        the stream starts in the steady state instead of with a rush of new visits."""
        traffic = self.config.traffic
        # (mean events per visit - 1) / mean events is about 0.8 for shop-like funnels.
        target = round(self.rate * traffic.think_mean_s * 0.8)
        rnd, think, slots = self._rnd, self._think, self._slots
        made = 0
        while made < target:
            s = self._new_session()
            n = len(s[4])
            if n < 2:
                self.stats.sessions -= 1  # a one-event visit is never between two events
                continue
            s[2] = 1 + int(rnd.random() * (n - 1))
            at = t0 + int(rnd.random() * think[int(rnd.random() * len(think))])
            slots.setdefault(at, []).append(s)
            made += 1

    def sample_visit(self) -> list[str]:
        """A new visit's events (their type-specific parts), planned as the stream plans
        them: for describing the model (rta.generator.model)."""
        return self._new_session()[4]

    @property
    def think_ms(self) -> list[int]:
        """The pool think times are drawn from, in ms."""
        return self._think

    @property
    def in_progress(self) -> int:
        """Visits that have begun and wait for their next event."""
        return len(self._ready) + sum(len(v) for v in self._slots.values())

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
        slots, ready = self._slots, self._ready
        pop_slot, pop_ready = slots.pop, ready.popleft
        think = self._think
        n_think = len(think)
        new_session = self._new_session
        random = self._rnd.random
        held = self._held
        chaos_p = self.config.chaos.total
        ids, offset = self._ids, self._id_offset
        sec, sec_prefix = self._sec, self._sec_prefix
        times = self.clock.batch(count)
        if self._scan is None and times:
            self._scan = times[0]
            self._warm_up(times[0])
        scan = self._scan if self._scan is not None else 0
        s: list[Any] | None = self._last
        for t in times:
            if held and held[0][0] <= t:
                while held and held[0][0] <= t:
                    _, _, value, key = heapq.heappop(held)
                    add_value(value)
                    add_key(key)
            if t // 1000 != sec:
                sec = t // 1000
                sec_prefix = second_prefix(sec)
            while scan <= t:
                due = pop_slot(scan, None)
                if due is not None:
                    ready.extend(due)
                scan += 1
            if chaos_p and random() < chaos_p:
                self._ids, self._scan, self._last = ids, scan, s
                self._chaos(t, sec_prefix + MILLIS_Z[t - sec * 1000], values, keys)
                ids, s = self._ids, self._last
                continue
            # The visit due longest, or a new one when none is due yet.
            s = pop_ready() if ready else new_session()
            k = s[2]
            parts = s[4]
            s[2] = k + 1
            if k + 1 < len(parts):
                at = t + think[int(random() * n_think)]
                slot = slots.get(at)
                if slot is None:
                    slots[at] = [s]
                else:
                    slot.append(s)
            add_value(
                s[0]
                + "%012x" % (((ids + offset) * MULT) & MASK48)
                + _MID
                + sec_prefix
                + MILLIS_Z[t - sec * 1000]
                + s[3]
                + parts[k]
            )
            add_key(s[1])
            ids += 1
        self._ids, self._sec, self._sec_prefix = ids, sec, sec_prefix
        self._scan, self._last = scan, s
        self.stats.records += count
        self._prev = (values, keys)
        self._invalid_prev, self._invalid_recent = self._invalid_recent, set()
        return values, keys

    def _step(self, t: int) -> tuple[list[Any], str]:
        """The next event of the visit due longest (or of a new visit), as the hot loop
        takes it: for the slow path, after the hot loop has moved due visits to ready."""
        s = self._ready.popleft() if self._ready else self._new_session()
        k = s[2]
        s[2] = k + 1
        if k + 1 < len(s[4]):
            at = t + self._think[int(self._rnd.random() * len(self._think))]
            self._slots.setdefault(at, []).append(s)
        self._last = s
        return s, s[4][k]

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
            # A broken copy of a step of the visit served last (any step of it).
            s = self._last
            part = s[4][int(rnd.random() * len(s[4]))]
            line, kind = make_invalid(s[0] + self._next_id() + _MID + ts + s[3] + part, rnd)
            values.append(line)
            keys.append(s[1])
            self._invalid_recent.add(line)
            stats.invalid[kind] = stats.invalid.get(kind, 0) + 1
            return
        elif r < chaos.duplicate_fraction + chaos.invalid_fraction:
            r = chaos.total  # no visit in progress to break yet: a normal event
        # Late, mixed-offset, or a normal event: the next step of a visit.
        s, part = self._step(t)
        late = chaos.duplicate_fraction + chaos.invalid_fraction + chaos.late_fraction
        if chaos.late_fraction and r < late:
            delay = 1 + int(rnd.random() * chaos.late_max_ms)
            value = s[0] + self._next_id() + _MID + ts + s[3] + part
            heapq.heappush(self._held, (t + delay, self._ids, value, s[1]))
            stats.late += 1
            return
        if r < chaos.total and chaos.tz_mix:
            offset = MIXED_OFFSETS[int(rnd.random() * len(MIXED_OFFSETS))]
            ts = render_offset(t, offset, micros=rnd.random() < 0.5)
            stats.tz_mixed += 1
        values.append(s[0] + self._next_id() + _MID + ts + s[3] + part)
        keys.append(s[1])

    def _next_id(self) -> str:
        n = self._ids
        self._ids = n + 1
        return event_id_suffix(n, self._id_offset)
