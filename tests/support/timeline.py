"""Event-time ranges for integration tests that share one pipeline.

Flink's watermark only moves forward, so a test whose events lie behind another
test's would see them dropped as late. Each caller gets a range one day after the
previous one, in allocation order, which is also execution order.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

_BASE = datetime(2030, 1, 1, tzinfo=UTC)
_counter = itertools.count()


def next_range_start() -> datetime:
    return _BASE + timedelta(days=next(_counter))
