"""The error tree (rta.errors) and its one mapping to exit codes (rta.cli.main)."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from rta import cli
from rta.collector.keys import WriteKeyError
from rta.collector.server import CollectorError
from rta.errors import ConfigError, InputError, RtaError, ServiceError, ServiceUnavailableError
from rta.events import EventError
from rta.generator.sinks import SinkError
from rta.kafka.delivery import KafkaUnavailableError
from rta.pinot.admin import PinotAdminError
from rta.pinot.query import PinotQueryError, PinotUnavailableError
from rta.pipeline.gateway import GatewayError
from rta.pipeline.jobs import FlinkRestError
from rta.replay import ReplayError
from rta.stack import StackError, StartupError


@pytest.mark.parametrize(
    ("error", "base"),
    [
        (GatewayError, ServiceError),
        (FlinkRestError, ServiceError),
        (PinotAdminError, ServiceError),
        (PinotQueryError, ServiceError),
        (PinotUnavailableError, PinotQueryError),
        (PinotUnavailableError, ServiceUnavailableError),
        (KafkaUnavailableError, ServiceUnavailableError),
        (ServiceUnavailableError, ServiceError),
        (EventError, InputError),
        (EventError, ValueError),
        (WriteKeyError, InputError),
        (CollectorError, RtaError),
        (ReplayError, RtaError),
        (SinkError, RtaError),
        (StackError, RtaError),
        (ConfigError, RtaError),
    ],
)
def test_every_rta_error_is_in_the_tree(error: type[Exception], base: type[Exception]) -> None:
    assert issubclass(error, base)


def test_exit_codes_and_the_log() -> None:
    assert RtaError.exit_code == StackError.exit_code == ServiceError.exit_code == 1
    assert ConfigError.exit_code == 2
    exc = StartupError("kafka did not become ready", log=Path("/x/kafka.log"))
    assert str(exc) == "kafka did not become ready" and exc.log == Path("/x/kafka.log")
    assert RtaError("m").log is None
    assert EventError("price: must be > 0").reason == "price: must be > 0"


def _run(monkeypatch: pytest.MonkeyPatch, raise_: BaseException | None) -> int:
    """Exit code of `rta.cli.main` with a one-command app that raises `raise_`."""
    app = typer.Typer()

    @app.command()
    def boom() -> None:
        if raise_ is not None:
            raise raise_

    monkeypatch.setattr(cli, "app", app)
    with pytest.raises(SystemExit) as done:
        cli.main([])
    return int(done.value.code or 0)


def test_main_prints_an_rta_error_and_exits_with_its_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(monkeypatch, StartupError("kafka died", log=Path("/s/kafka.log"))) == 1
    assert capsys.readouterr().err == "rta: kafka died\nFull log: /s/kafka.log\n"
    assert _run(monkeypatch, ConfigError("bad rta.toml")) == 2
    assert capsys.readouterr().err == "rta: bad rta.toml\n"


def test_main_leaves_typer_exits_and_ctrl_c_as_they_were(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run(monkeypatch, None) == 0
    assert _run(monkeypatch, typer.Exit(3)) == 3
    assert _run(monkeypatch, KeyboardInterrupt()) == 130


def test_main_help_and_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["--help"])
    assert done.value.code == 0 and "Usage: rta" in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        cli.main(["no-such-command"])
    assert done.value.code == 2
