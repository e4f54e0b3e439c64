"""Bodies into records (rta.collector.ingest) and Kafka's reports into answers
(rta.collector.delivery), without HTTP."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from confluent_kafka import KafkaError

from rta.collector.delivery import Delivery, DeliveryFailed, OutRecord
from rta.collector.ingest import (
    MAX_EVENT_BYTES,
    BodyKind,
    TooManyEvents,
    UnsupportedMediaType,
    _decode,
    body_kind,
    parse_body,
)
from rta.events import EventError, parse_event_json
from rta.testing import RecordingProducer, generate_lines

SINK, _ = generate_lines(5, seed=3)
LINES = SINK.lines


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        ("application/json", BodyKind.json),
        ("application/json; charset=UTF-8", BodyKind.json),
        ("APPLICATION/X-NDJSON", BodyKind.ndjson),
    ],
)
def test_body_kind(header: str, kind: BodyKind) -> None:
    assert body_kind(header) is kind


@pytest.mark.parametrize("header", [None, "", "text/plain", "application/jsonl", "multipart/form"])
def test_other_media_types_are_refused(header: str | None) -> None:
    with pytest.raises(UnsupportedMediaType, match="is not accepted"):
        body_kind(header)


def test_ndjson_index_counts_events_not_blank_lines() -> None:
    body = b"\n" + LINES[0] + b"\n\n{bad\n" + LINES[1] + b"\n"
    batch = parse_body(body, BodyKind.ndjson, max_batch=10)
    assert [v.index for v in batch.valid] == [0, 2]
    assert [(r.index, r.field, r.kind) for r in batch.rejected] == [(1, "event", "invalid_json")]


def test_a_single_object_travels_as_sent_without_surrounding_space() -> None:
    batch = parse_body(b"\n  " + LINES[0] + b"  \n", BodyKind.json, max_batch=1)
    assert [v.value for v in batch.valid] == [LINES[0]]


def test_a_json_scalar_is_one_rejected_event() -> None:
    batch = parse_body(b'"page_view"', BodyKind.json, max_batch=1)
    assert [(r.field, r.kind, r.value) for r in batch.rejected] == [
        ("event", "not_an_object", b'"page_view"')
    ]


def test_the_batch_limit_counts_events_before_checking_any() -> None:
    with pytest.raises(TooManyEvents, match="3 events in one request; at most 2"):
        parse_body(b"[1, 2, 3]", BodyKind.json, max_batch=2)
    with pytest.raises(TooManyEvents):
        parse_body(b"\n".join(LINES[:3]), BodyKind.ndjson, max_batch=2)


def test_an_event_too_large_for_kafka_is_rejected_and_not_kept() -> None:
    event: dict[str, Any] = json.loads(LINES[0])
    event["padding"] = "x" * MAX_EVENT_BYTES
    batch = parse_body(json.dumps([event]).encode(), BodyKind.json, max_batch=1)
    [r] = batch.rejected
    assert (r.field, r.kind, r.value) == ("event", "too_large", None)
    assert "more than the" in r.reason


def test_nan_in_an_ignored_field_is_judged_as_replay_judges_it() -> None:
    # The contract's decoder takes NaN; the array element is re-encoded as it came.
    line = LINES[0][:-1] + b', "extra": NaN}'
    ndjson = parse_body(line, BodyKind.ndjson, max_batch=1)
    array = parse_body(b"[" + line + b"]", BodyKind.json, max_batch=1)
    assert len(ndjson.valid) == len(array.valid) == 1
    assert array.valid[0].value.endswith(b'"extra":NaN}')


def _with(field: bytes, value: bytes) -> bytes:
    """LINES[0] (a page view) with one more top-level member."""
    return LINES[0][:-1] + b',"' + field + b'":' + value + b"}"


BIG = str(2**64).encode()  # past what orjson decodes as an int


@pytest.mark.parametrize(
    "raw",
    [
        LINES[0],
        _with(b"quantity", BIG),
        _with(b"extra", b"-" + BIG),
        _with(b"extra", b"[" + BIG + b"]"),
        _with(b"extra", b"1e19"),
        _with(b"extra", b"1e400"),
        _with(b"extra", b"NaN"),
        _with(b"extra", b'"\\ud800"'),
        _with(b"extra", b"[" * 990 + b"]" * 990),
        _with(b"page_url", b'"a"') + b" ",
        b"\xef\xbb\xbf" + LINES[0],
        b"[" + LINES[0] + b"]",
        b'"page_view"',
        BIG,
        b"{bad",
        b'{"a":"\xff"}',
    ],
)
def test_decoding_gives_what_json_gives(raw: bytes) -> None:
    # The orjson shortcut must never change a verdict: same object, same error.
    def outcome(decode: Any) -> str:
        try:
            return repr(decode(raw))
        except (ValueError, RecursionError) as exc:
            return f"{type(exc).__name__}: {exc}"

    assert outcome(_decode) == outcome(json.loads)


def _add_to_cart(quantity: bytes) -> bytes:
    # A page view made into a cart add (which event comes first depends on the seed).
    event = next(e for e in map(json.loads, LINES) if e["event_type"] == "page_view")
    for name in ("page_url", "referrer_url", "time_spent"):
        del event[name]
    event.update(event_type="add_to_cart", product_id="P1", product_name="n")
    event.update(product_category="c", price=1, quantity=0)
    return json.dumps(event).encode().replace(b'"quantity": 0', b'"quantity": ' + quantity)


@pytest.mark.parametrize("quantity", [b"2", BIG, b"1e19", b"2.0"])
def test_a_quantity_is_judged_as_replay_judges_it(quantity: bytes) -> None:
    # orjson would make 2**64 a float, which a strict integer refuses; json keeps an int.
    line = _add_to_cart(quantity)
    batch = parse_body(line, BodyKind.ndjson, max_batch=1)
    try:
        parse_event_json(line)
    except EventError as exc:
        assert [r.reason for r in batch.rejected] == [exc.reason]
    else:
        assert [v.value for v in batch.valid] == [line]


# --- delivery -----------------------------------------------------------------------


def _records(n: int) -> list[OutRecord]:
    return [OutRecord("raw_events", LINES[i % len(LINES)], b"k") for i in range(n)]


async def _send(producer: RecordingProducer, n: int, timeout_s: float = 2.0) -> None:
    delivery = Delivery(producer)
    delivery.start()
    try:
        await delivery.send(_records(n), timeout_s)
    finally:
        delivery.close(1.0)


def test_send_returns_once_every_record_is_confirmed() -> None:
    producer = RecordingProducer()
    asyncio.run(_send(producer, 2500))
    assert len(producer.records) == 2500


def test_send_fails_when_kafka_does_not_confirm_in_time() -> None:
    with pytest.raises(DeliveryFailed, match=r"did not confirm the events within 0\.2 s"):
        asyncio.run(_send(RecordingProducer(hold=True), 3, timeout_s=0.2))


def test_send_fails_when_a_record_is_refused() -> None:
    failure = KafkaError(KafkaError._MSG_TIMED_OUT, "Local: Message timed out")
    with pytest.raises(DeliveryFailed, match="Local: Message timed out"):
        asyncio.run(_send(RecordingProducer(fail=failure), 3))


class _FullQueue(RecordingProducer):
    """librdkafka's queue fills up after `room` records (Kafka away for a while)."""

    def __init__(self, room: int) -> None:
        super().__init__()
        self.room = room

    def produce(self, topic: str, *args: Any, **kwargs: Any) -> None:
        if len(self.records) >= self.room:
            raise BufferError("Local: Queue full")
        super().produce(topic, *args, **kwargs)


def test_a_full_local_queue_fails_the_request_at_once() -> None:
    producer = _FullQueue(room=2)
    with pytest.raises(DeliveryFailed, match="Queue full"):
        asyncio.run(_send(producer, 5, timeout_s=5.0))
    assert len(producer.records) == 2  # the rest never handed over


def test_close_flushes_and_reports_what_is_left() -> None:
    producer = RecordingProducer(hold=True)
    delivery = Delivery(producer)
    delivery.start()
    assert delivery.running

    async def give_up() -> None:
        with pytest.raises(DeliveryFailed):
            await delivery.send(_records(4), 0.05)

    asyncio.run(give_up())
    assert delivery.close(0.1) == 4
    assert not delivery.running


def test_a_producer_that_confirms_nothing_for_long_is_replaced() -> None:
    stuck = RecordingProducer(hold=True)  # a producer that lost every broker
    fresh = RecordingProducer()
    replaced: list[int] = []
    delivery = Delivery(
        stuck,
        replace=lambda: fresh,
        replace_after_s=0.1,
        on_replaced=lambda: replaced.append(1),
    )
    delivery.start()

    async def requests() -> None:
        # Failures within the period keep the producer: an outage is not a stuck client.
        with pytest.raises(DeliveryFailed):
            await delivery.send(_records(2), 0.05)
        assert delivery.producer is stuck and replaced == []
        await asyncio.sleep(0.1)
        with pytest.raises(DeliveryFailed):
            await delivery.send(_records(3), 0.05)
        assert delivery.producer is fresh and replaced == [1]
        await delivery.send(_records(4), 1.0)  # the next request goes through

    try:
        asyncio.run(requests())
    finally:
        delivery.close(1.0)
    assert len(fresh.records) == 4
    # The old producer's records are dropped, not delivered late beside the retries.
    deadline = time.monotonic() + 5
    while stuck.purged != 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stuck.purged == 5


def test_a_producer_that_confirms_is_kept_through_later_failures() -> None:
    producer = RecordingProducer()
    delivery = Delivery(producer, replace=RecordingProducer, replace_after_s=0.2)
    delivery.start()

    async def requests() -> None:
        await delivery.send(_records(2), 1.0)
        producer.hold = True
        with pytest.raises(DeliveryFailed):
            await delivery.send(_records(2), 0.05)

    try:
        asyncio.run(requests())
    finally:
        producer.release()
        delivery.close(1.0)
    assert delivery.producer is producer
