"""The collector through a Kafka outage: a client keeps posting while the broker stops
and comes back; every event the client was told was accepted is in raw_events, and
every other request was told 503 with Retry-After.

Stopping the session's shared broker would disturb every other test, so this one runs
a Kafka and a collector of its own (`rta.lifecycle.up` with just those two, as `rta up`
starts them), on free ports in its own state directory.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from tests.integration.conftest import REPO
from tests.support.corpus import event
from tests.support.pipeline_io import records_to_end, wait_until

from rta import lifecycle
from rta.collector.keys import KeyStore
from rta.layout import Layout
from rta.settings import CollectorSettings, Settings
from rta.stack import supervisor
from rta.testing import settings_on_free_ports

pytestmark = pytest.mark.integration

BATCH = 20


@pytest.fixture(scope="module")
def outage_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, str]]:
    """Kafka with rta's topics and the collector, and a write key for it."""
    base = settings_on_free_ports(tmp_path_factory.mktemp("outage-state"), REPO / ".cache" / "jvm")
    # A short produce timeout: requests during the outage are answered 503 in seconds.
    settings = base.model_copy(
        update={"collector": CollectorSettings(port=base.collector.port, produce_timeout_s=2.0)}
    )
    key = KeyStore(Layout(settings.state_dir).collector_keys).add("outage")
    lifecycle.up(settings, names=["kafka", "collector"], parts=["topics"])
    try:
        yield settings, key
    finally:
        lifecycle.down(settings)


@dataclass
class Client:
    """Posts NDJSON batches of fresh events until stopped; remembers every answer."""

    url: str
    key: str
    stop: threading.Event = field(default_factory=threading.Event)
    accepted: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)
    statuses: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> None:
        day = datetime(2026, 1, 1, tzinfo=UTC)
        types = ("page_view", "product_view", "add_to_cart", "purchase")
        sent = 0
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/x-ndjson"}
        with httpx.Client(base_url=self.url, timeout=30) as http:
            while not self.stop.is_set():
                events = [
                    event(types[i % 4], day + timedelta(seconds=sent + i)) for i in range(BATCH)
                ]
                sent += BATCH
                ids = {e["event_id"] for e in events}
                body = b"\n".join(json.dumps(e).encode() for e in events)
                try:
                    r = http.post("/v1/events", content=body, headers=headers)
                except httpx.HTTPError as exc:
                    with self.lock:
                        self.problems.append(f"{type(exc).__name__}: {exc}")
                    continue
                with self.lock:
                    self.statuses.append(r.status_code)
                    if r.status_code == 200 and r.json() == {"accepted": BATCH, "rejected": []}:
                        self.accepted |= ids
                    elif r.status_code == 503 and r.headers.get("retry-after"):
                        self.refused |= ids
                    else:
                        self.problems.append(f"{r.status_code} {r.headers} {r.text[:300]}")
                if r.status_code == 503:
                    time.sleep(0.2)  # a polite client would wait Retry-After; keep the test short

    def count(self, status: int) -> int:
        with self.lock:
            return self.statuses.count(status)


def test_every_acknowledged_event_survives_a_kafka_outage(
    outage_stack: tuple[Settings, str],
) -> None:
    settings, key = outage_stack
    client = Client(settings.collector.endpoint, key)
    thread = threading.Thread(target=client.run, daemon=True)
    thread.start()
    try:
        wait_until(
            lambda: client.count(200) >= 20, 60, "posts accepted before the outage", interval_s=0.2
        )
        (kafka,) = supervisor.components(settings, ["kafka"])
        assert kafka.stop()
        ok_before_return = client.count(200)
        wait_until(lambda: client.count(503) >= 3, 60, "503s while Kafka is away", interval_s=0.2)
        lifecycle.up(settings, names=["kafka"], parts=["topics"])
        wait_until(
            lambda: client.count(200) >= ok_before_return + 20,
            90,
            "posts accepted again after Kafka returned",
            interval_s=0.2,
        )
    finally:
        client.stop.set()
        thread.join(60)
    assert not thread.is_alive()

    assert client.problems == []
    assert set(client.statuses) == {200, 503}
    in_kafka = {
        json.loads(r.value)["event_id"]
        for r in records_to_end(settings, settings.kafka.raw_topic, since={})
    }
    missing = client.accepted - in_kafka
    assert not missing, f"{len(missing)} acknowledged events are not in raw_events"
    # Nothing reached Kafka that the client did not send (a refused request's events may).
    assert in_kafka <= client.accepted | client.refused
    assert len(client.accepted) >= 40 * BATCH

    # The collector says where it stands: healthy again, and it counted the 503s.
    url = settings.collector.endpoint
    assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
    refused = [
        line
        for line in httpx.get(f"{url}/metrics").text.splitlines()
        if line.startswith('rta_collector_requests_refused_total{status="503"}')
    ]
    assert refused and float(refused[0].split()[-1]) == client.count(503)
