"""Figures in docs/performance.md cannot drift: its generated part is what bench/report.py
renders from the committed bench/results/*.json, and the rendering says what a record
means (targets, failed runs, runs on a busy machine)."""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from bench import report

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "performance.md"


def test_committed_performance_page_matches_the_results() -> None:
    committed = DOC.read_text()
    expected = report.splice(committed, report.render(ROOT / "bench" / "results"))
    if committed != expected:
        diff = difflib.unified_diff(
            committed.splitlines(), expected.splitlines(), "committed", "generated", lineterm=""
        )
        # The first lines of the diff say what changed; the whole diff could be the page.
        shown = "\n".join(list(diff)[:40])
        pytest.fail(
            f"docs/performance.md differs from bench/results/: run `make bench-docs`\n{shown}"
        )


def _prose(doc: str) -> str:
    begin, end = doc.index(report.BEGIN), doc.index(report.END)
    return doc[:begin] + doc[end:]


def test_prose_holds_no_figure_tables() -> None:
    # Hand-typed tables are what went stale; the generated part has them all.
    tables = [line for line in _prose(DOC.read_text()).splitlines() if line.startswith("|")]
    assert not tables, f"a table outside the generated part of docs/performance.md: {tables[0]}"


def test_prose_holds_no_measured_figures() -> None:
    # Measured figures carry units of time or rate; settings quoted in the prose (the 5 s
    # watermark bound, a 1 s fetch timeout) are written as settings, not measurements.
    measured = re.findall(
        r"\b\d[\d,.]*\s?(?:ms|events/s|rows/s|ms/s|µs)\b|\b\d[\d,.]*k events/s",
        _prose(DOC.read_text()),
    )
    assert not measured, f"measured figures typed into the prose: {measured}"


def test_every_results_file_has_a_section() -> None:
    text = report.render(ROOT / "bench" / "results")
    for path in (ROOT / "bench" / "results").glob("*.json"):
        assert f"### {path.stem}\n" in text
    for bench in report.BENCHES:  # a bench with no results yet says so
        assert f"### {bench}\n" in text


def test_rendering_depends_on_nothing_of_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    first = report.render(ROOT / "bench" / "results")
    monkeypatch.chdir(ROOT / "docs")
    assert report.render(ROOT / "bench" / "results") == first
    assert str(ROOT) not in first


# --- rendering of small records --------------------------------------------------------


def _write(tmp_path: Path, bench: str, records: list[dict[str, Any]]) -> Path:
    tmp_path.joinpath(f"{bench}.json").write_text(json.dumps(records))
    return tmp_path


def _row(text: str, figure: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.startswith(f"| `{figure}` |"))
    return [cell.strip() for cell in line.strip("|").split(" | ")]


COLUMNS = ["figure", "value", "baseline", "ratio", "target", "met", "date", "load", "notes"]


def _cells(text: str, figure: str) -> dict[str, str]:
    return dict(zip(COLUMNS, _row(text, figure), strict=True))


def test_a_met_target_on_a_quiet_machine(tmp_path: Path) -> None:
    rec = {
        "name": "collector_http_ingest", "value": 61234, "unit": "events/s",
        "baseline": 122468, "ratio": 0.5, "date": "2027-01-02", "target": 50000,
        "offsets_match": True, "load_avg_before": [0.4, 0.3, 0.2], "load_avg": [1.7, 0.5, 0.3],
        "events": 500000, "batch": 100, "connections": 16, "form": "ndjson",
    }  # fmt: skip
    cells = _cells(report.render(_write(tmp_path, "collector", [rec])), "collector_http_ingest")
    assert cells["value"] == "61,234 events/s"
    assert cells["baseline"] == "122,468 events/s"
    assert cells["ratio"] == "0.5"
    assert cells["target"] == "≥ 50,000 events/s"
    assert cells["met"] == "met"
    assert cells["date"] == "2027-01-02"
    assert cells["load"] == "0.4 → 1.7"  # after >= 1 is the bench's own doing: still quiet
    assert "500,000 events" in cells["notes"]


def test_a_run_on_a_busy_machine_is_flagged(tmp_path: Path) -> None:
    rec = {
        "name": "pipeline_throughput_tuned", "value": 160000, "unit": "events/s",
        "baseline": 100000, "ratio": 1.6, "date": "2027-01-02",
        "load_avg_before": [1.0, 2.0, 3.0], "load_avg": [4.25, 2.0, 3.0],
    }  # fmt: skip
    cells = _cells(report.render(_write(tmp_path, "pipeline", [rec])), "pipeline_throughput_tuned")
    assert cells["load"] == "**not quiet**: 1 → 4.25"
    assert cells["met"] == "met"  # the target is judged on the value alone


def test_a_failed_run_is_not_met_whatever_its_value(tmp_path: Path) -> None:
    records = [
        # Fast, but the topic did not get what the collector confirmed.
        {"name": "collector_http_ingest", "value": 90000, "unit": "events/s",
         "baseline": 100000, "ratio": 0.9, "date": "2027-01-02", "offsets_match": False,
         "failed_requests": 3, "failed_events": 300},
    ]  # fmt: skip
    text = report.render(_write(tmp_path, "collector", records))
    cells = _cells(text, "collector_http_ingest")
    assert cells["met"] == "**not met** (topic offsets do not match the accepted count)"
    assert "3 failed requests" in cells["notes"] and "300 failed events" in cells["notes"]


def test_a_run_without_a_value_has_no_result(tmp_path: Path) -> None:
    rec = {"name": "window_freshness_p99", "value": None, "unit": "ms", "baseline": 10000.0,
           "date": "2027-01-02", "windows": 0, "windows_missing": [1, 2]}  # fmt: skip
    cells = _cells(report.render(_write(tmp_path, "freshness", [rec])), "window_freshness_p99")
    assert (cells["value"], cells["ratio"], cells["met"]) == ("—", "—", "no result")


def test_missing_windows_fail_the_window_target(tmp_path: Path) -> None:
    rec = {"name": "window_freshness_p99", "value": 6000, "unit": "ms", "baseline": 12000.0,
           "ratio": 0.5, "date": "2027-01-02", "watermark_bound_ms": 7000.0, "windows": 2,
           "windows_missing": [1795604460000]}  # fmt: skip
    cells = _cells(report.render(_write(tmp_path, "freshness", [rec])), "window_freshness_p99")
    assert cells["target"] == "≤ 12,000 ms"  # the record's own bound + 5 s
    assert cells["met"] == "**not met** (1 window(s) never seen)"


def test_each_commit_stall_is_a_row_under_the_freshness_table(tmp_path: Path) -> None:
    rec = {"name": "raw_freshness_p99", "value": 2500, "unit": "ms", "baseline": 2000.0,
           "date": "2027-01-02", "markers": 1000, "markers_missing": 0, "segment_commits": 4,
           "commit_stalls": [{"segment": "2/1", "stall_s": 7.5, "build_s": 5.1,
                              "commit_s": 1.9}]}  # fmt: skip
    text = report.render(_write(tmp_path, "freshness", [rec]))
    assert "segment commits while the markers flowed: 4." in text
    assert "| 2/1 | 7.5 | 5.1 | 1.9 |" in text


def test_an_old_record_without_baseline_ratio_or_load(tmp_path: Path) -> None:
    rec = {"name": "generate_to_kafka", "value": 250000.0, "unit": "events/s", "date": "2026-10-01"}
    cells = _cells(report.render(_write(tmp_path, "generator", [rec])), "generate_to_kafka")
    assert (cells["baseline"], cells["ratio"]) == ("—", "—")
    # The generator's target also needs the ratio; without a baseline it cannot be met.
    assert cells["met"] == "**not met**"
    assert cells["load"] == "? → ? (before not recorded)"
    assert cells["notes"] == "—"


def test_ratio_is_computed_when_the_record_lacks_it(tmp_path: Path) -> None:
    rec = {"name": "generate_to_kafka", "value": 240000, "unit": "events/s", "baseline": 300000}
    cells = _cells(report.render(_write(tmp_path, "generator", [rec])), "generate_to_kafka")
    assert (cells["ratio"], cells["met"]) == ("0.8", "met")


def test_p50s_and_baselines_have_no_target(tmp_path: Path) -> None:
    records = [
        {"name": "baseline_count_star_p50", "value": 4.3, "unit": "ms", "baseline": 4.3,
         "ratio": 1.0, "rows": 5000000},
        {"name": "funnel_15m_p50", "value": 20.0, "unit": "ms", "baseline": 4.3,
         "target_ms": 100.0, "rows": 5000000},
        {"name": "funnel_15m_p99", "value": 120.0, "unit": "ms", "baseline": 10.0,
         "target_ms": 100.0, "rows": 5000000},
        {"name": "revenue_1h_p99", "value": 80.0, "unit": "ms", "baseline": 10.0,
         "target_ms": 100.0, "rows": 1000000},
    ]  # fmt: skip
    text = report.render(_write(tmp_path, "query", records))
    assert _cells(text, "baseline_count_star_p50")["target"] == "—"
    assert _cells(text, "funnel_15m_p50")["met"] == "—"
    assert _cells(text, "funnel_15m_p99")["met"] == "**not met**"
    # The target is for 5M rows: a smaller table proves nothing either way.
    assert _cells(text, "revenue_1h_p99")["met"] == "n/a: 1,000,000 rows < 5,000,000"


def test_startup_load_before_is_the_first_runs(tmp_path: Path) -> None:
    records = [
        {"name": "make_run_to_first_active_users_row", "value": 70.0, "unit": "s",
         "baseline": 120.0, "ratio": 0.583, "load_average_1m": 2.5,
         "runs": [{"first_row_s": 70.0, "load_average_1m": 0.5},
                  {"first_row_s": 71.0, "load_average_1m": 3.0}]},
        {"name": "stack_resident_memory", "value": 3.4, "unit": "GB", "baseline": 6.0,
         "ratio": 0.567, "load_average_1m": 2.5},
    ]  # fmt: skip
    text = report.render(_write(tmp_path, "startup", records))
    first_row = _cells(text, "make_run_to_first_active_users_row")
    assert (first_row["target"], first_row["met"]) == ("< 75 s", "met")
    assert first_row["load"] == "0.5 → 2.5"
    # One results file is one run: the memory record shares the run's load before.
    assert _cells(text, "stack_resident_memory")["load"] == "0.5 → 2.5"


def test_a_bench_without_results_and_an_unknown_bench(tmp_path: Path) -> None:
    _write(tmp_path, "zeta", [{"name": "new_figure", "value": 1.25, "unit": "x"}])
    text = report.render(tmp_path)
    assert "### collector\n\nNo results yet: run `bench/collector.py`" in text
    assert text.index("### startup") < text.index("### zeta")  # known benches first
    assert _cells(text, "new_figure")["target"] == "—"


def test_splice_keeps_the_prose_and_needs_the_markers() -> None:
    doc = f"intro\n{report.BEGIN}\nold table\n{report.END}\noutro\n"
    assert report.splice(doc, "new\n") == f"intro\n{report.BEGIN}\nnew\n{report.END}\noutro\n"
    with pytest.raises(ValueError, match="markers"):
        report.splice("no markers here\n", "new\n")


def test_check_mode_reports_a_stale_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = _write(tmp_path, "generator", [{"name": "generate_to_kafka", "value": 1}])
    doc = tmp_path / "performance.md"
    doc.write_text(f"# P\n{report.BEGIN}\nstale\n{report.END}\n")
    args = ["--results", str(results), "--doc", str(doc)]
    assert report.main([*args, "--check"]) == 1
    assert "run `make bench-docs`" in capsys.readouterr().err
    assert report.main(args) == 0
    assert "stale" not in doc.read_text()
    assert report.main([*args, "--check"]) == 0


def test_a_query_that_found_no_data_is_not_met_however_fast(tmp_path: Path) -> None:
    records = [
        {"name": "sessions_p99", "value": 9.0, "unit": "ms", "baseline": 10.0,
         "target_ms": 100.0, "rows": 5000000, "docs_scanned": 0, "rows_out": 0},
        {"name": "funnel_p99", "value": 30.0, "unit": "ms", "baseline": 10.0,
         "target_ms": 100.0, "rows": 5000000, "docs_scanned": 1012638, "rows_out": 4},
    ]  # fmt: skip
    text = report.render(_write(tmp_path, "query", records))
    assert _cells(text, "sessions_p99")["met"] == (
        "**not met** (the query found no data, so its latency measures nothing)"
    )
    assert _cells(text, "funnel_p99")["met"] == "met"


def test_a_recovery_record_notes_the_comeback_and_overshooting_rows(tmp_path: Path) -> None:
    rec = {"name": "recovery_kafka", "value": 31.5, "unit": "s", "baseline": 21.0,
           "ratio": 1.5, "recovery_s": 15.4, "overshoot_rows": 0, "rows": 612}  # fmt: skip
    cells = _cells(report.render(_write(tmp_path, "recovery", [rec])), "recovery_kafka")
    assert (cells["value"], cells["baseline"], cells["met"]) == ("31.5 s", "21 s", "—")
    assert "component back after 15.4 s; 0 of 612 result rows seen above" in cells["notes"]


@pytest.mark.parametrize(("after_mb", "met"), [(1150.0, "met"), (1300.0, "**not met**")])
def test_the_heap_target_is_its_ratio_to_the_first_minute(
    tmp_path: Path, after_mb: float, met: str
) -> None:
    rec = {
        "name": "taskmanager_live_heap_after_run", "value": after_mb, "unit": "MB",
        "baseline": 1000.0, "ratio": after_mb / 1000, "date": "2027-01-02",
        "load_avg_before": [0.4, 0.3, 0.2], "load_avg": [1.7, 0.5, 0.3],
        "rate": 8000, "state_backend": "rocksdb",
        "samples": [{"minute": 1, "heap_mb": 1000.0, "source_records": 480000}],
    }  # fmt: skip
    text = report.render(_write(tmp_path, "heap", [rec]))
    cells = _cells(text, "taskmanager_live_heap_after_run")
    assert cells["target"] == "ratio ≤ 1.2"
    assert cells["met"] == met
    assert "| 1 | 1,000 | 480,000 |" in text


def test_pinot_ingest_is_judged_on_the_shipped_table_and_shows_its_runs(tmp_path: Path) -> None:
    profile = {
        "samples": 1000,
        "threads": [{"thread": "ingest_shipped partition 0", "share": 0.3}],
        "hottest": [
            {
                "thread": "ingest_shipped partition 0",
                "methods": [{"method": "MutableSegmentImpl.index", "share": 0.45}],
                "self": [],
            }
        ],
    }
    common = {"unit": "rows/s", "baseline": 800000, "date": "2027-01-02", "rows": 5000000,
              "load_avg_before": [0.5, 0.4, 0.3], "load_avg": [1.9, 1.0, 0.5]}  # fmt: skip
    records = [
        {"name": "pinot_ingest_shipped", "value": 45000, "target": 150000, "variant": "shipped",
         "runs": [{"variant": "shipped", "rate": 45000, "seconds": 111.1, "segments": 44,
                   "flush_rows": 500000, "cpu_us_per_row": 40.2, "profile": profile}],
         **common},
        {"name": "pinot_ingest_no_dedup", "value": 60000, "variant": "no-dedup",
         "runs": [{"variant": "no-dedup", "rate": 60000, "seconds": 83.3, "segments": 44,
                   "flush_rows": 500000, "cpu_us_per_row": 30.0}],
         **common},
    ]  # fmt: skip
    text = report.render(_write(tmp_path, "ingest", records))
    shipped = _cells(text, "pinot_ingest_shipped")
    assert shipped["target"] == "≥ 150,000 rows/s"
    assert shipped["met"] == "**not met**"
    assert _cells(text, "pinot_ingest_no_dedup")["target"] == "—"
    assert "| `no-dedup` | 60,000 | 83.3 | 500,000 | 44 | 30 | — | no |" in text
    assert "| `ingest_shipped partition 0` | 30.0 % |" in text
    assert "| `MutableSegmentImpl.index` | 45.0 % |" in text


def test_the_pipeline_shows_its_best_tuned_runs_cpu_by_kind_of_thread(tmp_path: Path) -> None:
    run = {"config": "tuned", "rate": 20000, "seconds": 100.0, "events": 2_000_000,
           "taskmanager_cpu_s": 200.0, "vertices": [{"name": "Source: raw_events[1]"}],
           "profile": {"samples": 5000, "threads": [{"thread": "Deduplicate[7]", "share": 0.4}],
                       "hottest": []},
           "thread_cpu_s": {"jit": 20.0, "gc": 4.0, "rocksdb": 16.0, "kafka client": 10.0,
                            "other": 150.0}}  # fmt: skip
    rec = {"name": "pipeline_throughput_tuned", "value": 20000, "unit": "events/s",
           "baseline": 12000, "date": "2027-01-02", "runs": [run],
           "machine": "x86_64, 2 cores, Linux", "target": 150000}  # fmt: skip
    run["cpu_us_per_event"] = 100.0
    text = report.render(_write(tmp_path, "pipeline", [rec]))
    assert (
        "2 cores over 150,000 events/s leave 13.3 µs of CPU per event for every process on "
        "the machine; the best tuned run's TaskManager alone used 100 µs per event, 7.5 times "
        "that: at that cost the target takes 15 cores for the TaskManager alone."
    ) in text
    assert "| operators' task threads, Flink's own | 150 | 75 | 75.0 % |" in text
    # 200 s less JIT, GC and RocksDB's threads = 160 s of Java threads = 80 µs per event.
    assert "that share of the Java threads' 80 µs of CPU per event" in text
    assert "| `Deduplicate` | 40.0 % | 32 |" in text
    assert "| JIT compilers | 20 | 10 | 10.0 % |" in text
    assert "| RocksDB flush and compaction | 16 | 8 | 8.0 % |" in text
    # Largest first.
    assert text.index("operators' task threads") < text.index("JIT compilers")
