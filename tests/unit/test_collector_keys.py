"""Write keys: only hashes stored, names unique, revocation seen by a running collector;
and `rta collector keys add|list|revoke`."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rta import cli
from rta.cli import app
from rta.collector.keys import KEY_PREFIX, KeyStore, WriteKeyError
from rta.collector.server import CollectorError, listen
from rta.layout import Layout

runner = CliRunner()


def test_add_returns_a_key_and_stores_only_its_hash(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "collector" / "keys.json")
    key = store.add("web-shop")
    assert key.startswith(KEY_PREFIX) and len(key) > 40
    text = store.path.read_text()
    assert key not in text and key[len(KEY_PREFIX) :] not in text
    [entry] = json.loads(text)["keys"]
    assert entry["name"] == "web-shop"
    assert entry["sha256"] == hashlib.sha256(key.encode()).hexdigest()
    assert entry["revoked"] is None
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert store.add("app") != key  # random, never derived from the name


def test_find_tells_active_revoked_and_unknown_apart(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys.json")
    assert store.find("rta_anything") is None  # no file yet
    web, app_key = store.add("web"), store.add("app")
    found = store.find(web)
    assert found is not None and found.name == "web" and found.active
    store.revoke("web")
    revoked = store.find(web)
    assert revoked is not None and not revoked.active and revoked.revoked
    assert store.find(app_key) is not None and store.find(app_key).active  # type: ignore[union-attr]
    assert store.find("rta_unknown") is None


def test_a_second_store_on_the_same_file_sees_changes(tmp_path: Path) -> None:
    # The collector's store and the one of `rta collector keys` in another process.
    serving, cli_side = KeyStore(tmp_path / "keys.json"), KeyStore(tmp_path / "keys.json")
    key = cli_side.add("web")
    assert serving.find(key) is not None and serving.find(key).active  # type: ignore[union-attr]
    cli_side.revoke("web")
    assert not serving.find(key).active  # type: ignore[union-attr]
    (tmp_path / "keys.json").unlink()
    assert serving.find(key) is None


def test_names_are_unique_and_checked(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys.json")
    store.add("web")
    with pytest.raises(WriteKeyError, match="exists already"):
        store.add("web")
    store.revoke("web")
    with pytest.raises(WriteKeyError, match="exists already"):
        store.add("web")  # names stay taken, so the list keeps its history
    for bad in ("", "two words", "-dash", "x" * 65, "slash/name"):
        with pytest.raises(WriteKeyError, match="invalid key name"):
            store.add(bad)
    with pytest.raises(WriteKeyError, match="no write key named 'nope'"):
        store.revoke("nope")


def test_revoking_twice_keeps_the_first_time(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys.json")
    store.add("web")
    first = store.revoke("web").revoked
    assert store.revoke("web").revoked == first


def test_a_damaged_file_is_an_error_that_names_it(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text("{not json")
    with pytest.raises(WriteKeyError, match=str(path)):
        KeyStore(path).entries()


# --- the commands ---------------------------------------------------------------------


def test_keys_commands(tmp_path: Path) -> None:
    env = {"RTA_STATE_DIR": str(tmp_path)}
    added = runner.invoke(app, ["collector", "keys", "add", "web"], env=env)
    assert added.exit_code == 0, added.output
    key = added.stdout.strip()  # stdout carries the key and nothing else
    assert key.startswith(KEY_PREFIX)
    assert "shown only now" in added.stderr
    path = Layout(tmp_path).collector_keys
    assert KeyStore(path).find(key) is not None

    listed = runner.invoke(app, ["collector", "keys", "list"], env=env)
    assert listed.exit_code == 0 and "web" in listed.stdout and "active" in listed.stdout
    assert key not in listed.stdout

    revoked = runner.invoke(app, ["collector", "keys", "revoke", "web"], env=env)
    assert revoked.exit_code == 0 and "revoked at" in revoked.stderr
    listed = runner.invoke(app, ["collector", "keys", "list"], env=env)
    assert "revoked 20" in listed.stdout


def test_keys_list_without_keys(tmp_path: Path) -> None:
    result = runner.invoke(app, ["collector", "keys", "list"], env={"RTA_STATE_DIR": str(tmp_path)})
    assert result.exit_code == 0 and "no write keys" in result.stderr


def test_key_errors_exit_1_with_the_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RTA_STATE_DIR", str(tmp_path))
    with pytest.raises(SystemExit) as exit_:
        cli.main(["collector", "keys", "revoke", "nope"])
    assert exit_.value.code == 1
    assert "rta: no write key named 'nope'" in capsys.readouterr().err


def test_a_taken_port_is_a_clear_error() -> None:
    holder = listen("127.0.0.1", 0)
    try:
        port = holder.getsockname()[1]
        with pytest.raises(CollectorError, match=f"cannot listen on 127.0.0.1:{port}"):
            listen("127.0.0.1", port)
    finally:
        holder.close()
