"""bench/freshness.py's reading of the Pinot server log: how long each raw_events
partition consumed nothing around a segment commit, and where that time went."""

from __future__ import annotations

from bench.freshness import commit_stalls

LOG = """\
2026/12/03 23:05:37.357 INFO [LLRealtimeSegmentDataManager_raw_events__2__1__20261203T2304Z] [raw_events__2__1__20261203T2304Z] Stopping consumption due to row limit nRows=125000
2026/12/03 23:05:40.000 INFO [LLRealtimeSegmentDataManager_session_analytics__2__1__20261203T2304Z] [session_analytics__2__1__20261203T2304Z] Stopping consumption due to row limit
2026/12/03 23:06:17.469 INFO [LLRealtimeSegmentDataManager_raw_events__2__1__20261203T2304Z] [raw_events__2__1__20261203T2304Z] Successfully built segment in 39442 ms, after lockWaitTime 0 ms
2026/12/03 23:06:33.521 INFO [SegmentCompletionFSM_raw_events__2__1__20261203T2304Z] [grizzly-http-server-1] Committed segment raw_events__2__1__20261203T2304Z at offset 250000
2026/12/03 23:06:34.866 INFO [LLRealtimeSegmentDataManager_raw_events__2__2__20261203T2306Z] [raw_events__2__2__20261203T2306Z] Starting consumption loop start offset 250000, finalOffset null
2026/12/03 23:07:00.000 INFO [LLRealtimeSegmentDataManager_raw_events__3__2__20261203T2306Z] [raw_events__3__2__20261203T2306Z] Stopping consumption due to row limit nRows=125000
"""  # noqa: E501


def test_a_commit_is_the_time_from_stopping_to_consuming_again() -> None:
    assert commit_stalls(LOG.splitlines()) == [
        {"segment": "2/1", "stall_s": 57.5, "build_s": 40.1, "commit_s": 16.1}
    ]


def test_a_commit_still_under_way_and_other_tables_are_left_out() -> None:
    lines = LOG.splitlines()
    assert commit_stalls([lines[1], lines[-1]]) == []
