"""Client libraries' log lines: in rta's log file by default, on stderr only with -v."""

from __future__ import annotations

import logging
import socket
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from rta import log
from rta.cli import app
from rta.kafka.client import LIBRDKAFKA_LOGGER, make_producer
from rta.settings import load_settings


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _librdkafka_complains() -> None:
    """A real producer against a port nobody listens on: librdkafka logs the refused
    connection, and confluent-kafka hands the line over in poll(). No broker needed."""
    seen: list[logging.LogRecord] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    catch = Catch()
    LIBRDKAFKA_LOGGER.addHandler(catch)
    try:
        producer = make_producer(load_settings(kafka={"port": _closed_port()}))
        deadline = time.monotonic() + 2.0
        while not seen and time.monotonic() < deadline:
            producer.poll(0.05)
    finally:
        LIBRDKAFKA_LOGGER.removeHandler(catch)
    assert seen, "librdkafka logged nothing within 2 s"
    assert seen[0].levelno >= logging.WARNING


def _one_line(text: str) -> str:
    """Rich wraps long lines; compare text, not layout."""
    return " ".join(text.split())


def test_librdkafka_lines_go_to_the_log_file_not_the_terminal(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    log_file = tmp_path / "logs" / "rta.log"
    log.configure(verbose=False, log_file=log_file)
    _librdkafka_complains()
    # capfd reads file descriptors: librdkafka's own raw writes to fd 2 would show too.
    assert capfd.readouterr() == ("", "")
    text = log_file.read_text()
    assert "rta.kafka.librdkafka" in text and "Connection refused" in text


def test_verbose_shows_them_on_stderr_with_the_logger_name(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    log.configure(verbose=True)
    _librdkafka_complains()
    out, err = capfd.readouterr()
    assert out == ""
    assert "rta.kafka.librdkafka: FAIL" in _one_line(err)
    assert "Connection refused" in _one_line(err)


def _http_get() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    with httpx.Client(transport=transport) as client:
        client.get("http://127.0.0.1:9000/health")


def test_httpx_info_stays_off_the_terminal_unless_verbose(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    log_file = tmp_path / "logs" / "rta.log"
    log.configure(verbose=False, log_file=log_file)
    _http_get()
    assert capfd.readouterr() == ("", "")
    assert not log_file.parent.exists()  # below WARNING, and the file is made lazily
    log.configure(verbose=True, log_file=log_file)
    _http_get()
    assert "httpx: HTTP Request: GET http://127.0.0.1:9000/health" in _one_line(
        capfd.readouterr().err
    )
    assert "HTTP Request" in log_file.read_text()


def test_configure_again_replaces_and_reset_restores() -> None:
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    log.configure(verbose=True, log_file=Path("unused.log"))
    log.configure(verbose=True, log_file=Path("unused.log"))
    assert len(root.handlers) == len(before[0]) + 2  # the file and the terminal, once
    log.reset()
    assert (list(root.handlers), root.level) == before


runner = CliRunner()


@pytest.mark.parametrize(("args", "level"), [([], logging.WARNING), (["-v"], logging.INFO)])
def test_the_cli_sets_it_up(tmp_path: Path, args: list[str], level: int) -> None:
    state = tmp_path / "state"
    result = runner.invoke(app, [*args, "config", "--json"], env={"RTA_STATE_DIR": str(state)})
    assert result.exit_code == 0, result.output
    assert logging.getLogger().level == level
    assert not state.exists()  # nothing was logged, so no log file and no state directory
