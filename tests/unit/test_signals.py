"""StopSignals: Ctrl-C asks a loop to stop and flush; a second one aborts."""

from __future__ import annotations

import signal
import threading

import pytest

from rta.signals import StopSignals


def test_first_signal_asks_to_stop_and_a_second_aborts() -> None:
    previous = signal.getsignal(signal.SIGINT)
    with StopSignals() as signals:
        assert not signals.stop.is_set()
        signal.raise_signal(signal.SIGINT)
        assert signals.stop.is_set()
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is previous


def test_while_starting_the_first_signal_aborts() -> None:
    with StopSignals() as signals:
        signals.starting = True
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
        assert signals.stop.is_set()


def test_once_stopping_signals_only_report() -> None:
    said: list[str] = []
    with StopSignals(
        signal.SIGINT, signal.SIGTERM, while_stopping=lambda: said.append("wait")
    ) as signals:
        signal.raise_signal(signal.SIGTERM)
        assert signals.stop.is_set()
        signals.stopping = True
        signal.raise_signal(signal.SIGINT)
        signal.raise_signal(signal.SIGTERM)
    assert said == ["wait", "wait"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_outside_the_main_thread_nothing_is_installed() -> None:
    previous = signal.getsignal(signal.SIGINT)
    seen: list[object] = []

    def body() -> None:
        with StopSignals() as signals:
            seen.append(signal.getsignal(signal.SIGINT))
            signals.stop.set()  # still usable as a plain flag

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    assert seen == [previous]
