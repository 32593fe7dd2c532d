"""The settings registry: precedence, validation naming the key, masking, docs in sync."""

from __future__ import annotations

from pathlib import Path

import pytest

from dateline.cli.config_cmd import settings_markdown
from dateline.errors import ConfigError
from dateline.settings import REGISTRY, load_settings, normalise_database_url

CONFIGURATION = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


def test_defaults_without_env_or_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    assert settings.max_input_bytes == 20_000_000
    assert settings.auto_migrate is False
    assert settings.resolved_database_url == f"sqlite:///{(tmp_path / 'data' / 'dateline.db')}"
    assert all(origin == "default" for origin in settings.origin.values())


def test_env_beats_file_beats_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dateline.toml").write_text(
        'data_dir = "/srv/news"\nmax_input_bytes = "5MB"\nfetch_timeout = 3\n'
    )
    settings = load_settings(environ={"DATELINE_MAX_INPUT_BYTES": "1024"})
    assert settings.max_input_bytes == 1024 and settings.origin["max_input_bytes"] == "env"
    assert settings.data_dir == "/srv/news" and settings.origin["data_dir"].startswith("file")
    assert settings.fetch_timeout == 3.0
    assert settings.fetch_max_redirects == 5 and settings.origin["fetch_max_redirects"] == "default"


def test_explicit_config_file(tmp_path):
    path = tmp_path / "elsewhere.toml"
    path.write_text("auto_migrate = true\n")
    assert load_settings(environ={"DATELINE_CONFIG": str(path)}).auto_migrate is True
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(environ={"DATELINE_CONFIG": str(tmp_path / "missing.toml")})


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"DATELINE_MAX_INPUT_BYTES": "lots"}, "DATELINE_MAX_INPUT_BYTES"),
        ({"DATELINE_MAX_INPUT_BYTES": "-5"}, "DATELINE_MAX_INPUT_BYTES"),
        ({"DATELINE_AUTO_MIGRATE": "perhaps"}, "DATELINE_AUTO_MIGRATE"),
        ({"DATELINE_FETCH_TIMEOUT": "0"}, "DATELINE_FETCH_TIMEOUT"),
        ({"DATELINE_LOG_LEVEL": "LOUD"}, "DATELINE_LOG_LEVEL"),
    ],
)
def test_invalid_values_fail_naming_the_key(env, key, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=key):
        load_settings(environ=env)


def test_bad_toml_and_unknown_keys_are_refused(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("data_dir = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(environ={"DATELINE_CONFIG": str(bad)})
    unknown = tmp_path / "unknown.toml"
    unknown.write_text('databse_url = "x"\n')
    with pytest.raises(ConfigError, match="databse_url"):
        load_settings(environ={"DATELINE_CONFIG": str(unknown)})


def test_sizes_accept_units():
    assert load_settings(environ={"DATELINE_MAX_INPUT_BYTES": "2MB"}).max_input_bytes == 2_000_000
    assert load_settings(environ={"DATELINE_MAX_INPUT_BYTES": "512 KiB"}).max_input_bytes == 524288


def test_dump_masks_secrets():
    url = "postgresql://news:hunter2@db.internal:5432/dateline"
    rows = {
        env: shown for env, shown, _ in load_settings(environ={"DATELINE_DATABASE_URL": url}).dump()
    }
    assert "hunter2" not in rows["DATELINE_DATABASE_URL"]
    assert rows["DATELINE_DATABASE_URL"] == "postgresql://news:***@db.internal:5432/dateline"


def test_plain_postgresql_url_means_psycopg3():
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_every_setting_is_documented():
    page = CONFIGURATION.read_text(encoding="utf-8")
    assert settings_markdown() in page, "docs/configuration.md is stale: run `make docs`"
    for setting in REGISTRY:
        assert setting.help and setting.env_var in page


def test_site_clock_must_be_a_date_time():
    assert load_settings(environ={"DATELINE_SITE_CLOCK": "2020-12-28T12:00:00"}).site_clock
    with pytest.raises(ConfigError, match="DATELINE_SITE_CLOCK"):
        load_settings(environ={"DATELINE_SITE_CLOCK": "yesterday"})
