"""Event-time ranges for integration tests that share one pipeline.

Flink's watermark only moves forward, so a test whose events lie behind another
test's would see them dropped as late. Each caller gets a range one day after the
previous one, in allocation order, which is also execution order.
"""

from __future__ import annotations

import itertools
import os
from datetime import UTC, datetime, timedelta

# RTA_TEST_DAY_OFFSET moves the first range on, for runs against a stack that earlier
# runs have fed (RTA_TEST_STACK=running).
_BASE = datetime(2030, 1, 1, tzinfo=UTC) + timedelta(
    days=int(os.environ.get("RTA_TEST_DAY_OFFSET", "0"))
)
_counter = itertools.count()


def next_range_start() -> datetime:
    return _BASE + timedelta(days=next(_counter))
