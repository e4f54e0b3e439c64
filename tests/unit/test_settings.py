from __future__ import annotations

from pathlib import Path

import pytest

from rta.settings import Settings, load_settings, settings_env


def test_defaults_are_local() -> None:
    s = Settings()
    assert s.kafka.bootstrap == "127.0.0.1:9092"
    assert not s.kafka.is_remote
    assert s.state_dir == Path(".rta")


def test_env_overrides_nested_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RTA_KAFKA__PORT", "19092")
    monkeypatch.setenv("RTA_KAFKA__PARTITIONS", "8")
    s = load_settings()
    assert s.kafka.bootstrap == "127.0.0.1:19092"
    assert s.kafka.partitions == 8


def test_remote_kafka(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RTA_KAFKA__BOOTSTRAP_SERVERS", "broker:29092")
    s = load_settings()
    assert s.kafka.is_remote and s.kafka.bootstrap == "broker:29092"


def test_toml_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "rta.toml").write_text('state_dir = "/data/rta"\n[kafka]\npartitions = 6\n')
    monkeypatch.chdir(tmp_path)
    s = load_settings()
    assert s.state_dir == Path("/data/rta") and s.kafka.partitions == 6


def test_unknown_field_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="partitons"):
        Settings(kafka={"partitons": 3})  # type: ignore[arg-type]


def test_settings_env_round_trips(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Settings(state_dir=Path("/tmp/x"), kafka={"port": 1234, "partitions": 2})  # type: ignore[arg-type]
    for key, value in settings_env(original).items():
        monkeypatch.setenv(key, value)
    assert load_settings() == original


def test_collector_settings_round_trip_lists_and_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Settings(
        collector={"port": 8123, "cors_origins": ["https://shop.example"], "key": "rta_secret"}  # type: ignore[arg-type]
    )
    env = settings_env(original)
    assert env["RTA_COLLECTOR__CORS_ORIGINS"] == '["https://shop.example"]'
    assert env["RTA_COLLECTOR__KEY"] == "rta_secret"  # the value, not pydantic's mask
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    loaded = load_settings()
    assert loaded == original
    assert loaded.collector.endpoint == "http://127.0.0.1:8123"
    assert "rta_secret" not in repr(loaded)


def test_collector_url_wins_over_host_and_port() -> None:
    s = Settings(collector={"url": "https://in.example/"})  # type: ignore[arg-type]
    assert s.collector.endpoint == "https://in.example"
