"""The supervisor's parts, exercised with ordinary processes (no JVM)."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

from rta.settings import PinotSettings, Settings
from rta.stack.artifacts import classpath, lib_dir
from rta.stack.errors import ArtifactsMissingError, JavaError, PortInUseError, StartupError
from rta.stack.java import Java, find_java
from rta.stack.pinot import PinotComponent
from rta.stack.probes import ensure_ports_free, log_tail, wait_ready
from rta.stack.process import ServiceProcess


def _proc(tmp_path: Path, code: str) -> ServiceProcess:
    return ServiceProcess(
        name="dummy",
        argv=[sys.executable, "-c", code],
        log_file=tmp_path / "logs" / "dummy.log",
        pid_file=tmp_path / "run" / "dummy.pid",
        cwd=tmp_path,
    )


def test_bad_java_home_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(JavaError, match=str(tmp_path / "bin" / "java")):
        find_java(tmp_path)


def test_too_old_java_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "bin" / "java"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'openjdk version \"11.0.2\" 2019-01-15' >&2\n")
    fake.chmod(0o755)
    with pytest.raises(JavaError, match=r"Java 11 .* not supported"):
        find_java(tmp_path)


def test_java_is_asked_its_version_once_until_it_changes(tmp_path: Path) -> None:
    fake = tmp_path / "bin" / "java"
    fake.parent.mkdir()
    runs = tmp_path / "runs"
    fake.write_text(f"#!/bin/sh\necho run >> {runs}\necho 'openjdk version \"17.0.9\"' >&2\n")
    fake.chmod(0o755)
    assert find_java(tmp_path).version == find_java(tmp_path).version == 17
    assert runs.read_text().count("run") == 1  # the watch resolves Java every few seconds
    fake.write_text(f"#!/bin/sh\necho run >> {runs}\necho 'openjdk version \"21.0.1\"' >&2\n")
    os.utime(fake, ns=(fake.stat().st_atime_ns, fake.stat().st_mtime_ns + 1_000_000_000))
    assert find_java(tmp_path).version == 21  # a replaced JDK is asked again


def test_port_in_use_names_the_holder() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(PortInUseError, match=f"port {port} .* in use by pid"):
            ensure_ports_free("Kafka", "127.0.0.1", [port])


def test_missing_classpath_says_run_make_setup(tmp_path: Path) -> None:
    with pytest.raises(ArtifactsMissingError, match="make setup"):
        classpath(tmp_path, "kafka")


def test_lib_dir_without_a_required_jar_says_run_make_setup(tmp_path: Path) -> None:
    lib = tmp_path / "flink-lib"
    lib.mkdir()
    (lib / "connector.jar").write_bytes(b"")
    assert lib_dir(tmp_path, "flink-lib") == lib
    with pytest.raises(ArtifactsMissingError, match=r"lacks functions\.jar.*make setup"):
        lib_dir(tmp_path, "flink-lib", required=("functions.jar",))


def test_process_start_stop_leaves_nothing(tmp_path: Path) -> None:
    proc = _proc(tmp_path, "import time; print('up', flush=True); time.sleep(60)")
    proc.start()
    assert proc.is_running()
    wait_ready(proc, lambda: "up" in log_tail(proc.log_file), timeout_s=10, what="printing up")
    assert proc.stop(timeout_s=5)
    assert not proc.is_running()
    assert not proc.pid_file.exists()


def test_process_that_dies_fails_fast_with_log_tail(tmp_path: Path) -> None:
    proc = _proc(tmp_path, "import sys; print('boom: bad config', flush=True); sys.exit(3)")
    proc.start()
    with pytest.raises(StartupError, match=r"(?s)exited during start-up.*boom: bad config"):
        wait_ready(proc, lambda: False, timeout_s=30, what="never")


def test_process_that_never_gets_ready_times_out(tmp_path: Path) -> None:
    proc = _proc(tmp_path, "import time; print('still booting', flush=True); time.sleep(60)")
    proc.start()
    try:
        with pytest.raises(StartupError, match=r"(?s)did not become ready.*still booting"):
            wait_ready(proc, lambda: False, timeout_s=1.5, what="the probe")
    finally:
        proc.stop(timeout_s=5)


def test_kafka_cluster_ids_never_look_like_options() -> None:
    from rta.stack.kafka import _cluster_id

    ids = [_cluster_id() for _ in range(5000)]
    assert all(len(i) == 22 and not i.startswith("-") for i in ids)


def test_pinot_server_conf_builds_as_many_segments_at_a_time_as_set(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, pinot=PinotSettings(segment_builds=3))
    comp = PinotComponent(settings, Java(Path("/usr/bin/java"), 17))
    comp._render()
    conf = (comp.conf_dir / "server.conf").read_text()
    assert "pinot.server.instance.realtime.max.parallel.segment.builds=3\n" in conf
