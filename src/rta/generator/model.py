"""What a traffic model implies: `rta generate --describe`.

The funnel's probabilities and the think times do not say at a glance how many
visits bounce, convert or last minutes, nor how many are in progress at a rate. This
plans a sample of visits exactly as the engine would (same seed, same planner) and
reports their shares and percentiles, plus the steady state at the rate (Little's
law: visits in progress = visit arrivals per second x mean visit life).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from random import Random

from rta.generator.clock import FixedClock
from rta.generator.engine import EventStream, GeneratorConfig

__all__ = ["ModelSummary", "summarise"]


@dataclass(frozen=True)
class ModelSummary:
    sample: int
    """Visits planned to estimate the rest."""
    events_mean: float
    events_median: float
    events_p95: float
    bounce_share: float
    """Visits with a single event."""
    views_per_visit: float
    cart_share: float
    """Visits with an add_to_cart."""
    conversion: float
    """Visits with a purchase."""
    cart_abandonment: float
    """Of the visits with an add_to_cart, those without a purchase."""
    think_median_s: float
    think_mean_s: float
    think_p95_s: float
    duration_median_s: float
    """Of visits with two events or more, first to last event."""
    duration_p95_s: float
    rate: float
    visits_per_s: float
    in_progress: float
    """Visits in progress at once at the rate, in the steady state."""


def _pct(sorted_values: list[float], p: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(p * len(sorted_values)))]


def summarise(config: GeneratorConfig, rate: float, sample: int = 20_000) -> ModelSummary:
    """Plan `sample` visits with `config` and report what they imply at `rate` events/s."""
    stream = EventStream(config, FixedClock(0))
    think = sorted(stream.think_ms)
    gaps = Random(config.seed)
    events: list[int] = []
    durations: list[float] = []
    views = carts = purchases = carts_bought = 0
    for _ in range(sample):
        parts = stream.sample_visit()
        n = len(parts)
        events.append(n)
        if n > 1:
            durations.append(sum(gaps.choice(think) for _ in range(n - 1)) / 1000)
        kinds = "".join(parts)
        views += kinds.count('"product_view"')
        cart = '"add_to_cart"' in kinds
        bought = '"purchase"' in kinds
        carts += cart
        purchases += bought
        carts_bought += cart and bought
    events.sort()
    durations.sort()
    mean_events = statistics.fmean(events)
    think_mean_s = statistics.fmean(think) / 1000
    visits_per_s = rate / mean_events if rate else 0.0
    return ModelSummary(
        sample=sample,
        events_mean=mean_events,
        events_median=statistics.median(events),
        events_p95=_pct([float(e) for e in events], 0.95),
        bounce_share=sum(1 for e in events if e == 1) / sample,
        views_per_visit=views / sample,
        cart_share=carts / sample,
        conversion=purchases / sample,
        cart_abandonment=1 - carts_bought / carts if carts else 0.0,
        think_median_s=statistics.median(think) / 1000,
        think_mean_s=think_mean_s,
        think_p95_s=_pct([float(t) for t in think], 0.95) / 1000,
        duration_median_s=statistics.median(durations) if durations else 0.0,
        duration_p95_s=_pct(durations, 0.95) if durations else 0.0,
        rate=rate,
        visits_per_s=visits_per_s,
        in_progress=visits_per_s * (mean_events - 1) * think_mean_s,
    )
