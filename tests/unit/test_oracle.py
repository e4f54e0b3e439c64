"""The oracle must be right before it can judge the pipeline."""

from __future__ import annotations

import json
import uuid

from tests.support.oracle import compute, epoch_millis

U1, U2 = str(uuid.UUID(int=1)), str(uuid.UUID(int=2))
S1, S2 = str(uuid.UUID(int=11)), str(uuid.UUID(int=12))


def _ev(n: int, ts: str, user: str, session: str, etype: str, **extra: object) -> str:
    base = {
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
        extra = {"page_url": "/", "referrer_url": "", "time_spent": 1.0, **extra}
    elif etype != "page_view":
        extra = {
            "product_id": "P1",
            "product_name": "Lamp",
            "product_category": "home",
            "price": 10.0,
            **extra,
        }
    return json.dumps({**base, **extra})


def test_epoch_millis_handles_offsets_and_truncates() -> None:
    assert epoch_millis("1970-01-01T00:00:01Z") == 1000
    assert epoch_millis("2026-11-25T12:00:00+02:00") == epoch_millis("2026-11-25T10:00:00Z")
    assert epoch_millis("2026-11-25T04:30:00.5-05:30") == epoch_millis("2026-11-25T10:00:00.500Z")
    assert epoch_millis("2026-11-25T10:00:59.999999Z") % 60_000 == 59_999


def test_windows_dedup_and_sessions() -> None:
    lines = [
        _ev(1, "2026-11-25T10:00:00Z", U1, S1, "page_view"),  # exactly on the boundary
        _ev(2, "2026-11-25T11:00:30+01:00", U1, S1, "product_view", price=10.0),
        _ev(3, "2026-11-25T10:00:59.999Z", U2, S2, "product_view", price=20.0),
        _ev(4, "2026-11-25T10:01:00Z", U2, S2, "product_view", price=30.0),
        _ev(5, "2026-11-25T10:01:10Z", U1, S1, "add_to_cart", quantity=2),
        _ev(
            6,
            "2026-11-25T10:01:20Z",
            U1,
            S1,
            "purchase",
            quantity=2,
            total_amount=20.0,
            order_id="O1",
            product_id="P1",
        ),
        _ev(
            7,
            "2026-11-25T10:01:20Z",
            U1,
            S1,
            "purchase",
            quantity=1,
            total_amount=5.0,
            order_id="O1",
            product_id="P2",
            price=5.0,
        ),
        "{not json",
    ]
    lines.append(lines[1])  # a duplicate delivery
    got = compute(lines)
    m0 = epoch_millis("2026-11-25T10:00:00Z")
    m1 = m0 + 60_000
    assert got.invalid_lines == 1 and got.duplicate_lines == 1 and got.distinct_events == 7
    assert {k: v.active_users for k, v in got.active_users.items()} == {m0: 2, m1: 2}
    assert got.active_users[m0].window_end == m1
    p0 = got.products[(m0, "P1")]
    assert (p0.view_count, p0.avg_price) == (2, 15.0)
    assert got.products[(m1, "P1")].view_count == 1
    s1 = got.sessions[S1]
    assert (s1.user_id, s1.event_count, s1.products_viewed) == (U1, 5, 1)
    assert (s1.products_added_to_cart, s1.purchases_made) == (1, 1)
    assert got.sessions[S2].event_count == 2
