"""One contract from the edge to the tables: the job rejects exactly what rta's contract
rejects, whoever produced it, counts each reject by reason and keeps it.

The corpus (tests/support/corpus.py) holds valid events and one record for every way
to break the contract, written straight into raw_events as a foreign producer would.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from tests.support.corpus import build, event
from tests.support.pipeline_io import (
    end_offsets,
    flush_watermark,
    later,
    millis,
    produce_lines,
    records_since,
    wait_until,
)
from tests.support.results import assert_results_equal, counts_settled, expect
from tests.support.timeline import next_range_start

from rta.pipeline.counts import read_counts
from rta.settings import Settings

pytestmark = pytest.mark.integration


def _dead_letters_from_the_job(stack: Settings, since: dict[int, int]) -> list[dict[str, str]]:
    """Headers of the DLQ records the job wrote (x-rta-source names a raw_events offset)."""
    return [
        r.headers
        for r in records_since(stack, stack.kafka.dlq_topic, since)
        if r.headers.get("x-rta-source", "").startswith(stack.kafka.raw_topic + "/")
    ]


def test_the_job_rejects_exactly_what_the_contract_rejects(stack: Settings) -> None:
    start = next_range_start()
    cases = build(later(start, minutes=1))
    by_record = {c.record: c for c in cases}
    assert len(by_record) == len(cases), "every corpus record is distinct"
    counts_before = read_counts(stack)
    dlq_before = end_offsets(stack, stack.kafka.dlq_topic)

    records = produce_lines(stack, [c.record for c in cases])
    flush_watermark(stack, later(start, minutes=4))
    expected = expect(stack, records)
    want_rejected = Counter(c.field for c in cases if c.field is not None)
    assert expected.rejected == dict(want_rejected)

    partitions = stack.kafka.partitions  # flush_watermark's events, one per partition
    counts = counts_settled(
        stack,
        counts_before,
        read=len(cases) + partitions,
        passed_on=expected.distinct_events + partitions,
    )
    assert counts.rejected_by_field() == dict(want_rejected), counts.rejected
    assert counts.read == len(cases) + partitions
    assert counts.passed_on == expected.distinct_events + partitions

    # Every reject is kept, with its reason and where it was read.
    letters = _dead_letters_from_the_job(stack, dlq_before)
    by_field = Counter()
    for h in letters:
        source = h["x-rta-source"].split("/")[-1]
        first, _, last = source.partition("-")
        n = int(last) - int(first) + 1 if last else 1
        by_field[h["x-rta-reason"].split(":")[0]] += n
    assert dict(by_field) == dict(want_rejected)

    # And nothing of them reached a result.
    assert_results_equal(stack, expected, millis(start), millis(later(start, minutes=3)))


def test_the_dead_letter_names_reason_and_origin(stack: Settings) -> None:
    start = next_range_start()
    bad = json.dumps(event("page_view", start, event_id="not-a-uuid")).encode()
    dlq_before = end_offsets(stack, stack.kafka.dlq_topic)
    [(partition, _)] = produce_lines(stack, [bad])
    letters: list[dict[str, str]] = []

    def arrived() -> bool:
        letters[:] = [
            h
            for h in _dead_letters_from_the_job(stack, dlq_before)
            if "event_id" in h["x-rta-reason"]
        ]
        return bool(letters)

    wait_until(arrived, 60, "the job's dead letter")
    [letter] = letters
    assert letter["x-rta-reason"] == "event_id: must be a UUID in canonical lowercase form"
    assert letter["x-rta-source"].startswith(f"{stack.kafka.raw_topic}/{partition}/")
