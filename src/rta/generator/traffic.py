"""How visits unfold in time: think times between a visitor's events, how often users
come back, and (with a simulated clock) how traffic rises and falls over a day.

A session is a visit: its events are separated by think times drawn from a log-normal
distribution (median `think_median_s`), the way page-to-page times of real visitors
are. How many sessions are in progress at once is not a setting: it follows from the
rate and the think times (rta.generator.engine starts a visit whenever no visitor in
progress is due), about rate x mean think time x (1 - 1 / events per session).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from random import Random

__all__ = ["DAILY_CURVE", "Traffic", "TrafficShape"]

# Relative traffic per hour of the day (UTC), averaging 1: quiet nights, a morning
# rise, a lunch bump and the busy evening that online shops see.
DAILY_CURVE: tuple[float, ...] = (
    0.45, 0.3, 0.22, 0.18, 0.18, 0.25, 0.45, 0.7, 0.9, 1.0, 1.05, 1.15,
    1.25, 1.2, 1.1, 1.1, 1.15, 1.3, 1.55, 1.8, 1.9, 1.7, 1.25, 0.8,
)  # fmt: skip
_CURVE_MEAN = sum(DAILY_CURVE) / len(DAILY_CURVE)


@dataclass(frozen=True)
class Traffic:
    """The visit model: think times, and which users visit."""

    think_median_s: float = 25.0
    """Median time between two events of a visit, seconds."""
    think_sigma: float = 1.0
    """Shape of the log-normal think time: 1.0 puts p95 at about 5x the median."""
    explorer_share: float = 0.2
    """Share of visits by browsers in no hurry: they leave each step with a third of
    the usual probability, which gives the long tail of events per session."""
    user_skew: float = 0.5
    """How unequal visits are spread over the population: user i is picked with weight
    1 / (i + 1) ** user_skew. 0: all alike; towards 1: a few regulars, many one-off
    visitors."""

    def __post_init__(self) -> None:
        if self.think_median_s <= 0:
            raise ValueError("traffic.think_median_s: must be > 0")
        if not 0 < self.think_sigma <= 3:
            raise ValueError("traffic.think_sigma: must be in (0, 3]")
        if not 0 <= self.explorer_share <= 1:
            raise ValueError("traffic.explorer_share: must be between 0 and 1")
        if not 0 <= self.user_skew < 1:
            raise ValueError("traffic.user_skew: must be in [0, 1)")

    @property
    def think_mean_s(self) -> float:
        return self.think_median_s * math.exp(self.think_sigma**2 / 2)

    def think_pool(self, rnd: Random, size: int = 1 << 16) -> list[int]:
        """Think times in ms, drawn once: indexing a seeded pool costs a fraction of a
        lognormvariate() per event, and 65,536 values reproduce the distribution."""
        mu = math.log(self.think_median_s * 1000)
        return [max(1, round(rnd.lognormvariate(mu, self.think_sigma))) for _ in range(size)]

    def user_index(self, u: float, population: int) -> int:
        """The user a uniform u in [0, 1) picks: the inverse of the continuous
        1 / x ** skew distribution over [1, population + 1), so no table per user."""
        a = 1.0 - self.user_skew
        x = (1.0 + u * ((population + 1) ** a - 1.0)) ** (1.0 / a)
        return min(int(x) - 1, population - 1)


@dataclass(frozen=True)
class TrafficShape:
    """How the rate varies over simulated time; a factor that averages about 1."""

    daily: bool = False
    """Follow DAILY_CURVE by the hour of the day (UTC) of the event time."""
    burst_at_ms: int | None = None
    """Start of a burst (a campaign), epoch ms."""
    burst_minutes: float = 30.0
    burst_factor: float = 3.0
    """The rate during the burst, as a multiple of what it would be."""

    def __post_init__(self) -> None:
        if self.burst_minutes <= 0 or self.burst_factor <= 0:
            raise ValueError("traffic shape: burst minutes and factor must be > 0")

    @property
    def flat(self) -> bool:
        return not self.daily and self.burst_at_ms is None

    def factor(self, t_ms: int) -> float:
        f = 1.0
        if self.daily:
            hour = (t_ms // 3_600_000) % 24
            # Linear between the hours' values, so the rate never jumps.
            frac = (t_ms % 3_600_000) / 3_600_000
            a, b = DAILY_CURVE[hour], DAILY_CURVE[(hour + 1) % 24]
            f = (a + (b - a) * frac) / _CURVE_MEAN
        if self.burst_at_ms is not None:
            end = self.burst_at_ms + self.burst_minutes * 60_000
            if self.burst_at_ms <= t_ms < end:
                f *= self.burst_factor
        return f
