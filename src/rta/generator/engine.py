"""The hot loop: interleave many concurrent sessions into one stream of JSON lines.

Per event this does one random pick of a session, one `next()` on its planned
parts and one string join with a cached timestamp: no Faker, no pydantic, no
uuid4, no json.dumps. Everything slower (planning a session, chaos) happens
once per session or for a small fraction of records.
"""

from __future__ import annotations

import heapq
import itertools
from bisect import bisect
from dataclasses import dataclass, field
from random import Random
from typing import Any

from faker import Faker

from rta.generator.chaos import Chaos, make_invalid
from rta.generator.clock import Clock
from rta.generator.funnel import Funnel, SessionPlanner
from rta.generator.ids import MASK48, MULT, event_id_suffix, uuid4_str
from rta.generator.population import build_catalogue, build_pages, build_users
from rta.generator.timefmt import MILLIS_Z, MIXED_OFFSETS, render_offset, second_prefix

__all__ = ["EventStream", "GeneratorConfig", "Stats"]

_HEAD = '{"event_id":"'
_MID = '","event_timestamp":"'


@dataclass(frozen=True)
class GeneratorConfig:
    """What to simulate; the same config and seed give the same events."""

    seed: int
    users: int = 2000
    products: int = 200
    concurrent_sessions: int = 500
    funnel: Funnel = field(default_factory=Funnel)
    chaos: Chaos = field(default_factory=Chaos)

    def __post_init__(self) -> None:
        for name in ("users", "products", "concurrent_sessions"):
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

    def __init__(self, config: GeneratorConfig, clock: Clock) -> None:
        self.config = config
        self.stats = Stats()
        self.clock = clock
        self._rnd = Random(config.seed)
        fake = Faker("en_US")
        fake.seed_instance(config.seed)
        self.users = build_users(config.users, self._rnd, fake)
        self.catalogue = build_catalogue(config.products, self._rnd, fake)
        self._planner = SessionPlanner(
            config.funnel, self.catalogue, build_pages(self.catalogue), self._rnd
        )
        # Some users come back far more often than others.
        self._user_cw = list(
            itertools.accumulate(1.0 / (i + 1) ** 0.5 for i in range(len(self.users)))
        )
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
        self._sessions = [self._new_session() for _ in range(config.concurrent_sessions)]

    def _new_session(self) -> list[Any]:
        rnd = self._rnd
        user = self.users[bisect(self._user_cw, rnd.random() * self._user_cw[-1])]
        session_id = uuid4_str(rnd)
        base, parts = self._planner.plan(user, session_id)
        self.stats.sessions += 1
        # [head with a per-session event-id prefix, key, iterator over parts, base, parts]
        return [_HEAD + uuid4_str(rnd)[:24], session_id.encode(), iter(parts), base, parts]

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
        sessions = self._sessions
        n_sessions = len(sessions)
        random = self._rnd.random
        held = self._held
        chaos_p = self.config.chaos.total
        ids, offset = self._ids, self._id_offset
        sec, sec_prefix = self._sec, self._sec_prefix
        for t in self.clock.batch(count):
            if held and held[0][0] <= t:
                while held and held[0][0] <= t:
                    _, _, value, key = heapq.heappop(held)
                    add_value(value)
                    add_key(key)
            if t // 1000 != sec:
                sec = t // 1000
                sec_prefix = second_prefix(sec)
            if chaos_p and random() < chaos_p:
                self._ids = ids
                self._chaos(t, sec_prefix + MILLIS_Z[t - sec * 1000], values, keys)
                ids = self._ids
                continue
            i = int(random() * n_sessions)
            s = sessions[i]
            part = next(s[2], None)
            if part is None:
                s = sessions[i] = self._new_session()
                part = next(s[2])
            add_value(
                s[0]
                + "%012x" % (((ids + offset) * MULT) & MASK48)
                + _MID
                + sec_prefix
                + MILLIS_Z[t - sec * 1000]
                + s[3]
                + part
            )
            add_key(s[1])
            ids += 1
        self._ids, self._sec, self._sec_prefix = ids, sec, sec_prefix
        self.stats.records += count
        self._prev = (values, keys)
        self._invalid_prev, self._invalid_recent = self._invalid_recent, set()
        return values, keys

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
        elif r < chaos.duplicate_fraction + chaos.invalid_fraction:
            s = self._sessions[int(rnd.random() * len(self._sessions))]
            part = s[4][int(rnd.random() * len(s[4]))]
            line, kind = make_invalid(s[0] + self._next_id() + _MID + ts + s[3] + part, rnd)
            values.append(line)
            keys.append(s[1])
            self._invalid_recent.add(line)
            stats.invalid[kind] = stats.invalid.get(kind, 0) + 1
            return
        # Late, mixed-offset, or a normal event: consume the next step of a session.
        sessions = self._sessions
        i = int(rnd.random() * len(sessions))
        s = sessions[i]
        part = next(s[2], None)
        if part is None:
            s = sessions[i] = self._new_session()
            part = next(s[2])
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
