"""Time from `make run` to the first row in active_users_per_minute, and the stack's memory.

Each run is a fresh clone's first `make run` with the artefacts cached: a new, empty
state directory on free ports (so a developer's stack on the default ports is never
touched), `make run` started as a child in its own process group, Pinot polled
once a second until `active_users_per_minute` has a row. Then the resident memory
of every process of the stack is summed, Ctrl-C is sent to the process group (as a
terminal would), and the bench checks that nothing of the stack is left running.

The first row needs the first 1-minute window to close plus the watermark bound
(5 s): 5..65 s after the first event, depending on where in the minute it falls.
`rta up` starts the generator once Kafka is up, so that minute passes while Pinot
and Flink start. The median of 3 runs is reported against the 75 s target, and the
total resident memory against the 6 GB target.

    .venv/bin/python bench/startup.py [--runs 3] [--keep]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _stack import (
    REPO,
    load_avg,
    log,
    machine,
    private_settings,
    today,
    wait_for_load,
    write_results,
)
from rta.pinot.query import PinotClient, PinotQueryError
from rta.settings import Settings, settings_env
from rta.stack import supervisor

TARGET_S = 75.0
TARGET_RSS_GB = 6.0
FIRST_ROW_TIMEOUT_S = 400.0


def our_processes(state_dir: Path) -> list[psutil.Process]:
    """Every live process whose command line mentions the run's state directory."""
    marker = str(state_dir.resolve())
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        try:
            if proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            if any(marker in part for part in proc.info["cmdline"] or []):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def stack_rss_mb(settings: Settings, driver: psutil.Process) -> tuple[float, float]:
    """(JVMs of the stack, the `make`/`rta up` driver with its generator), in MB."""
    jvms = sum(r.rss_mb or 0.0 for r in supervisor.status(settings))
    rta = 0.0
    for p in [driver, *driver.children(recursive=True)]:
        try:
            # The JVMs run in their own sessions, so they are not children of rta up.
            if "java" not in p.name():
                rta += p.memory_info().rss / 1e6
        except psutil.Error:
            continue
    return jvms, rta


def first_row(settings: Settings, proc: subprocess.Popen[bytes], t0: float) -> float:
    with PinotClient(settings.pinot.broker, timeout_s=5.0) as client:
        while time.monotonic() - t0 < FIRST_ROW_TIMEOUT_S:
            if proc.poll() is not None:
                raise RuntimeError(f"`make run` exited early with code {proc.returncode}")
            try:
                rows = client.query("SELECT COUNT(*) FROM active_users_per_minute").rows
                if rows and int(rows[0][0]) > 0:
                    return time.monotonic() - t0
            except PinotQueryError:
                pass  # broker not up yet, or the table not created yet
            time.sleep(1.0)
    raise TimeoutError(f"no row in active_users_per_minute after {FIRST_ROW_TIMEOUT_S:.0f} s")


def one_run(i: int, keep: bool) -> dict[str, Any]:
    state_dir = Path(tempfile.mkdtemp(prefix=f"rta-startup-{i}-"))
    settings = private_settings(state_dir)
    env = {**os.environ, **settings_env(settings)}
    out = state_dir.parent / f"{state_dir.name}.make-run.log"
    load_before = load_avg()
    log(f"run {i}: make run in {state_dir} (load {load_before})")
    t0 = time.monotonic()
    with open(out, "wb") as fh:
        proc = subprocess.Popen(
            ["make", "run"],
            cwd=REPO,
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a process group of its own, like a terminal's job
        )
    try:
        seconds = first_row(settings, proc, t0)
        log(f"run {i}: first row after {seconds:.1f} s")
        time.sleep(5)  # let the generator and the pipeline settle before measuring memory
        jvm_mb, rta_mb = stack_rss_mb(settings, psutil.Process(proc.pid))
        log(f"run {i}: resident memory: JVMs {jvm_mb:,.0f} MB, rta up {rta_mb:,.0f} MB")
    finally:
        t_stop = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)
        try:
            code = proc.wait(timeout=400)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            code = proc.wait()
        stop_s = time.monotonic() - t_stop
        left = our_processes(state_dir)
        for p in left:
            p.kill()
    text = out.read_text(errors="replace")
    up_s = re.search(r"stack up in ([\d.]+) s", text)
    parts = dict(re.findall(r"✓ (\S+): \w[\w ]* in ([\d.]+) s", text))
    log(f"run {i}: exit {code}, stopped in {stop_s:.1f} s, {len(left)} process(es) left")
    if not keep:
        shutil.rmtree(state_dir, ignore_errors=True)
        out.unlink(missing_ok=True)
    return {
        "first_row_s": round(seconds, 1),
        "stack_up_s": float(up_s.group(1)) if up_s else None,
        "component_s": {k: float(v) for k, v in parts.items()},
        "jvm_rss_mb": round(jvm_mb),
        "rta_up_rss_mb": round(rta_mb),
        "stop_s": round(stop_s, 1),
        "exit_code": code,
        "left_running": len(left),
        "load_average_1m": load_before[0],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="keep state dirs and logs")
    args = ap.parse_args()
    subprocess.run(["make", "-s", "setup"], cwd=REPO, check=True)  # cached: returns at once
    runs = []
    for i in range(args.runs):
        # Each run starts on a quiet machine, not in the load the previous one left.
        wait_for_load()
        runs.append(one_run(i + 1, args.keep))
    median = statistics.median(r["first_row_s"] for r in runs)
    rss_gb = statistics.median((r["jvm_rss_mb"] + r["rta_up_rss_mb"]) / 1000 for r in runs)
    common = {"date": today(), "machine": machine(), "load_average_1m": load_avg()[0]}
    records = [
        {
            "name": "make_run_to_first_active_users_row",
            "value": median,
            "unit": "s",
            "baseline": TARGET_S,
            "ratio": round(median / TARGET_S, 3),
            **common,
            "baseline_name": f"target: under {TARGET_S:.0f} s (ratio < 1 is better)",
            "statistic": f"median of {len(runs)} runs, fresh state dir, artefacts cached",
            "runs": runs,
        },
        {
            "name": "stack_resident_memory",
            "value": round(rss_gb, 2),
            "unit": "GB",
            "baseline": TARGET_RSS_GB,
            "ratio": round(rss_gb / TARGET_RSS_GB, 3),
            **common,
            "baseline_name": "target: under 6 GB (ratio < 1 is better)",
            "statistic": "median over the runs; every JVM plus `rta up` with its generator, "
            "5 s after the first row",
        },
    ]
    path = write_results("startup", records)
    for r in records:
        print(f"{r['name']}: {r['value']} {r['unit']} (target {r['baseline']}, ratio {r['ratio']})")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
