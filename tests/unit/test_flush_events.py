"""rta.testing.flush_events: one valid event per partition at one instant."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from rta.events import parse_event_json
from rta.testing import flush_events


def test_one_valid_event_per_partition_at_the_instant_each_in_its_own_session() -> None:
    at = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    out = flush_events(at, 3)
    assert [p for p, _, _ in out] == [0, 1, 2]
    sessions = set()
    for _, key, record in out:
        event = parse_event_json(record)  # the contract accepts it
        assert event.event_timestamp == "2030-01-01T12:00:00Z"
        assert key == event.session_id.encode()
        sessions.add(json.loads(record)["session_id"])
    assert len(sessions) == 3
