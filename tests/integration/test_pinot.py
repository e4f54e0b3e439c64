"""Pinot on the session stack: ingestion from the real topics, dedup, upserts, time parsing,
idempotent tables, and `rta query` / `rta report` over the real broker.

Other tests share the stack and its topics: every id and window here is fresh per run,
and nothing assumes a table is empty.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from confluent_kafka import Producer

from rta.kafka.client import make_producer
from rta.pinot.query import PinotClient
from rta.provision import provision
from rta.settings import Settings

pytestmark = pytest.mark.integration

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Every offset form the contract allows: Z, ±HH:MM (incl. half hours), 0..6 fraction digits.
TIMESTAMPS = [
    "2026-11-25T10:00:00Z",
    "2026-11-25T10:00:00.1+01:00",
    "2026-11-25T10:00:00.12-05:00",
    "2026-11-25T10:00:00.123+05:30",
    "2026-11-25T10:00:00.1234-09:30",
    "2026-11-25T10:00:00.999999+14:00",
    "2026-11-25T00:30:00.5+02:00",  # the previous UTC day
    "2026-11-25T23:59:59.000001-00:00",
    # Calendar edges (the job computes the date arithmetically): leap days, a century
    # leap year, month and year ends crossed by the offset.
    "2024-02-29T23:59:59.999-05:00",
    "2024-03-01T00:00:00+01:00",
    "2025-03-01T00:15:00.25+00:30",
    "2000-02-29T12:00:00Z",
    "2000-12-31T20:00:00.5-04:30",
    "2001-01-01T00:00:00.000+14:00",
]


def expected_ms(ts: str) -> int:
    """Epoch millis of an RFC 3339 string, sub-millisecond digits truncated."""
    return (datetime.fromisoformat(ts.replace("Z", "+00:00")) - EPOCH) // timedelta(milliseconds=1)


def expected_user_key(user_id: str) -> int:
    """The last 15 hex digits (60 bits) of the id's MD5, as a number."""
    return int(hashlib.md5(user_id.encode()).hexdigest()[17:], 16)


def wait_for(probe: Callable[[], Any], what: str, timeout_s: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"Pinot did not show {what} within {timeout_s:.0f} s")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def producer(stack: Settings) -> Iterator[Producer]:
    p = make_producer(stack, **{"linger.ms": 0})
    yield p
    p.flush(10)


@pytest.fixture(scope="module")
def pinot(stack: Settings) -> Iterator[PinotClient]:
    with PinotClient(stack.pinot.broker) as client:
        yield client


def rows(client: PinotClient, sql: str) -> list[list[Any]]:
    return client.query(sql).rows


def all_versions(stack: Settings, sql: str) -> list[list[Any]]:
    """A query that also sees the rows an upsert replaced (Pinot's skipUpsert option)."""
    body = httpx.post(
        f"{stack.pinot.broker}/query/sql",
        json={"sql": sql, "queryOptions": "skipUpsert=true"},
        timeout=30,
    ).json()
    assert not body.get("exceptions"), body["exceptions"]
    return body["resultTable"]["rows"]  # type: ignore[no-any-return]


def raw_event(session_id: str, ts: str, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "event_timestamp": ts,
        "user_id": str(uuid.uuid4()),
        "session_id": session_id,
        "device_type": "mobile",
        "os": "iOS",
        "browser": "Safari",
        "location": "Lisbon",
        "event_type": "page_view",
        "page_url": "https://shop.example/",
        "referrer_url": "",
        "time_spent": 12.5,
        **extra,
    }


@pytest.fixture(scope="module")
def ingested_session(stack: Settings, producer: Producer, pinot: PinotClient) -> dict[str, Any]:
    """One session's events, each sent 1-3 times, with every offset form; waited for."""
    session_id = str(uuid.uuid4())
    events = [raw_event(session_id, ts) for ts in TIMESTAMPS]
    purchase = raw_event(
        session_id,
        "2026-11-25T10:01:00.250+02:00",
        event_type="purchase",
        product_id="p-it-1",
        product_name="Lamp",
        product_category="home",
        price=19.5,
        quantity=2,
        total_amount=39.0,
        order_id="o-it-1",
    )
    for page_field in ("page_url", "referrer_url", "time_spent"):  # not a purchase's fields
        del purchase[page_field]
    events.append(purchase)
    for i, event in enumerate(events):
        for _ in range(1 + i % 3):  # duplicates, as a retrying producer would send them
            producer.produce(stack.kafka.raw_topic, key=session_id, value=json.dumps(event))
    # Keyed by session_id, so the whole session is in one partition, in order: once the
    # last event is visible, every earlier copy has been consumed (or dropped as duplicate).
    sentinel = raw_event(session_id, "2026-11-25T10:02:00Z")
    producer.produce(stack.kafka.raw_topic, key=session_id, value=json.dumps(sentinel))
    producer.flush(10)
    events.append(sentinel)
    wait_for(
        lambda: rows(
            pinot, f"SELECT COUNT(*) FROM raw_events WHERE event_id = '{sentinel['event_id']}'"
        )[0][0],
        "the session's last event",
    )
    return {"session_id": session_id, "events": events}


def test_duplicates_are_dropped(pinot: PinotClient, ingested_session: dict[str, Any]) -> None:
    sid = ingested_session["session_id"]
    ((count, distinct),) = rows(
        pinot,
        f"SELECT COUNT(*), DISTINCTCOUNT(event_id) FROM raw_events WHERE session_id = '{sid}'",
    )
    assert count == distinct == len(ingested_session["events"])


def test_event_time_ms_is_right_for_every_offset(
    pinot: PinotClient, ingested_session: dict[str, Any]
) -> None:
    sid = ingested_session["session_id"]
    got = {
        eid: (ts, ms, minute, user_id, user_key)
        for eid, ts, ms, minute, user_id, user_key in rows(
            pinot,
            "SELECT event_id, event_timestamp, event_time_ms, event_minute_ms, user_id, "
            f"user_key FROM raw_events WHERE session_id = '{sid}' LIMIT 100",
        )
    }
    for event in ingested_session["events"]:
        ts, ms, minute, user_id, user_key = got[event["event_id"]]
        assert ts == event["event_timestamp"]  # kept exactly as sent
        assert ms == expected_ms(ts), ts
        # The second transform, chained on the first: the minute the event falls in.
        assert minute == expected_ms(ts) // 60_000 * 60_000, ts
        # The number the open minute's DISTINCTCOUNT counts instead of the id.
        assert user_key == expected_user_key(user_id), user_id


def test_pinot_parses_the_time_of_records_without_the_jobs(
    stack: Settings, producer: Producer, pinot: PinotClient
) -> None:
    # Written straight to the accepted topic, as another producer could: Pinot's own
    # transforms fill event_time_ms and event_minute_ms (the job writes them itself).
    session_id = str(uuid.uuid4())
    events = [raw_event(session_id, ts) for ts in TIMESTAMPS]
    for event in events:
        producer.produce(stack.kafka.accepted_topic, key=session_id, value=json.dumps(event))
    producer.flush(10)
    got = wait_for(
        lambda: (
            (
                r := rows(
                    pinot,
                    "SELECT event_timestamp, event_time_ms, event_minute_ms, user_id, user_key "
                    f"FROM raw_events WHERE session_id = '{session_id}' LIMIT 100",
                )
            )
            and len(r) == len(events)
            and r
        ),
        "the directly written events in raw_events",
    )
    for ts, ms, minute, user_id, user_key in got:
        assert ms == expected_ms(ts), ts
        assert minute == expected_ms(ts) // 60_000 * 60_000, ts
        assert user_key == expected_user_key(user_id), user_id


def test_every_seed_field_arrives(pinot: PinotClient, ingested_session: dict[str, Any]) -> None:
    purchase = next(e for e in ingested_session["events"] if e["event_type"] == "purchase")
    result = pinot.query(
        f"SELECT * FROM raw_events WHERE event_id = '{purchase['event_id']}'"
    ).records()
    assert len(result) == 1
    for key, value in purchase.items():
        assert result[0][key] == value, key


def _session(sid: str, event_count: int, end_ms: int) -> str:
    return json.dumps(
        {
            "session_id": sid,
            "user_id": "u-" + sid,
            "event_count": event_count,
            "products_viewed": event_count // 2,
            "products_added_to_cart": 0,
            "purchases_made": 0,
            "session_start": 1_795_600_000_000,
            "session_end": end_ms,
        }
    )


def test_session_upsert_keeps_the_highest_event_count(
    stack: Settings, producer: Producer, pinot: PinotClient
) -> None:
    sid = f"it-session-{uuid.uuid4()}"
    versions = [(1, 1_795_600_001_000), (3, 1_795_600_003_000), (2, 1_795_600_002_000)]
    for count, end in versions:  # the last one is a stale redelivery
        producer.produce("session_analytics", key=sid, value=_session(sid, count, end))
    producer.flush(10)
    where = f"WHERE session_id = '{sid}'"
    wait_for(
        lambda: (
            all_versions(stack, f"SELECT COUNT(*) FROM session_analytics {where}")[0][0]
            == len(versions)
        ),
        "every version of the session",
    )
    assert rows(pinot, f"SELECT event_count, session_end FROM session_analytics {where}") == [
        [3, 1_795_600_003_000]
    ]
    producer.produce("session_analytics", key=sid, value=_session(sid, 4, 1_795_600_004_000))
    producer.flush(10)
    wait_for(
        lambda: rows(pinot, f"SELECT event_count FROM session_analytics {where}") == [[4]],
        "the newer session version",
    )
    assert rows(pinot, f"SELECT COUNT(*) FROM session_analytics {where}") == [[1]]


def test_window_upsert_highest_count_wins(
    stack: Settings, producer: Producer, pinot: PinotClient
) -> None:
    # A window far from other tests' windows: a random minute in 2031.
    window = 1_924_992_000_000 + (uuid.uuid4().int % 500_000) * 60_000
    # A window's count only grows (late events add to it); 7 is an older version
    # redelivered after a restart, which must not replace the newer 9.
    for active in (5, 9, 7):
        value = {"window_start": window, "window_end": window + 60_000, "active_users": active}
        producer.produce("active_users_per_minute", key=str(window), value=json.dumps(value))
    producer.flush(10)
    where = f"WHERE window_start = {window}"
    wait_for(
        lambda: (
            all_versions(stack, f"SELECT COUNT(*) FROM active_users_per_minute {where}")[0][0] == 3
        ),
        "every version of the window",
    )
    assert rows(pinot, f"SELECT window_end, active_users FROM active_users_per_minute {where}") == [
        [window + 60_000, 9]
    ]


def test_product_upsert_is_keyed_by_window_and_product(
    stack: Settings, producer: Producer, pinot: PinotClient
) -> None:
    window = 1_924_992_000_000 + (uuid.uuid4().int % 500_000) * 60_000
    tag = uuid.uuid4().hex[:8]
    for pid, views in ((f"a-{tag}", 1), (f"a-{tag}", 4), (f"b-{tag}", 2)):
        value = {
            "window_start": window,
            "window_end": window + 60_000,
            "product_id": pid,
            "product_name": pid.upper(),
            "product_category": "test",
            "view_count": views,
            "avg_price": 2.5,
        }
        producer.produce(
            "product_analytics_per_minute", key=f"{window}{pid}", value=json.dumps(value)
        )
    producer.flush(10)
    sql = (
        "SELECT product_id, view_count FROM product_analytics_per_minute "
        f"WHERE window_start = {window} ORDER BY product_id"
    )
    assert wait_for(
        lambda: rows(pinot, sql) == [[f"a-{tag}", 4], [f"b-{tag}", 2]], "the product windows"
    )


def test_tables_are_applied_idempotently(stack: Settings) -> None:
    (tables,) = provision(stack, ["tables"])
    assert tables.changes == ()


def test_query_command_prints_row_objects(
    stack_env: dict[str, str], ingested_session: dict[str, Any]
) -> None:
    sid = ingested_session["session_id"]
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "rta",
            "query",
            "--format",
            "json",
            f"SELECT event_id, event_time_ms FROM raw_events WHERE session_id = '{sid}' "
            "ORDER BY event_time_ms LIMIT 100",
        ],
        env=stack_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    records = json.loads(out.stdout)
    assert len(records) == len(ingested_session["events"])
    assert set(records[0]) == {"event_id", "event_time_ms"}
    assert [r["event_time_ms"] for r in records] == sorted(
        expected_ms(e["event_timestamp"]) for e in ingested_session["events"]
    )


def test_query_command_shows_pinots_error(stack_env: dict[str, str]) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "rta", "query", "SELEC nonsense FROM"],
        env=stack_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1
    assert "SQLParsingError" in out.stderr


def test_report_command_shows_the_three_analytics(
    stack: Settings, stack_env: dict[str, str], producer: Producer
) -> None:
    now = int(time.time() * 1000)
    window = now - now % 60_000 - 60_000
    sid = f"it-report-{uuid.uuid4()}"
    producer.produce("session_analytics", key=sid, value=_session(sid, 2, window + 1_000))
    producer.flush(10)
    with PinotClient(stack.pinot.broker) as client:
        wait_for(
            lambda: rows(
                client, f"SELECT COUNT(*) FROM session_analytics WHERE session_id = '{sid}'"
            )[0][0],
            "the report's session",
        )
    out = subprocess.run(
        [sys.executable, "-m", "rta", "report", "--minutes", "5", "--format", "json"],
        env=stack_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert set(doc) >= {"active_users", "top_products", "sessions"}
    assert doc["sessions"][0]["sessions"] >= 1
    table = subprocess.run(
        [sys.executable, "-m", "rta", "report", "--minutes", "5"],
        env=stack_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert table.returncode == 0, table.stderr
    assert "Active users per minute" in table.stdout and "Top 10 products" in table.stdout
