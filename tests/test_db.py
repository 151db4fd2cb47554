"""Opening a database: which URL is used, how it is shown, and what a SQLite engine turns on."""

from __future__ import annotations

from pathlib import Path

import pytest

from provenance.db import (
    DEFAULT_URL,
    ENV_VAR,
    SQLITE_BUSY_TIMEOUT_MS,
    is_sqlite,
    make_engine,
    masked,
    resolve_url,
)
from provenance.errors import DatabaseNotReadyError
from provenance.migrate import ensure_current


def test_default_url_is_a_sqlite_file_in_the_current_folder() -> None:
    assert DEFAULT_URL == "sqlite:///provenance.db"


def test_resolve_url_prefers_the_argument(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "sqlite:///from-env.db")
    assert resolve_url("sqlite:///given.db") == "sqlite:///given.db"


def test_resolve_url_falls_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "sqlite:///from-env.db")
    assert resolve_url() == "sqlite:///from-env.db"
    assert resolve_url(None) == "sqlite:///from-env.db"


def test_resolve_url_defaults_to_provenance_db(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert resolve_url() == DEFAULT_URL


def test_resolve_url_ignores_an_empty_environment_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV_VAR, "")
    assert resolve_url() == DEFAULT_URL


def test_make_engine_uses_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv(ENV_VAR, url)
    engine = make_engine()
    try:
        assert engine.url.render_as_string(hide_password=False) == url
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql+psycopg://alice:s3cret@db.example:5432/findings",
            "postgresql+psycopg://alice:***@db.example:5432/findings",
        ),
        (
            "postgresql+psycopg://alice:s3cr%40t@db.example/findings",
            "postgresql+psycopg://alice:***@db.example/findings",
        ),
        # Nothing to hide: shown as given.
        (
            "postgresql+psycopg://alice@db.example/findings",
            "postgresql+psycopg://alice@db.example/findings",
        ),
        ("sqlite:///findings.db", "sqlite:///findings.db"),
        ("sqlite:////var/lib/provenance/findings.db", "sqlite:////var/lib/provenance/findings.db"),
    ],
)
def test_masked_hides_the_password(url: str, shown: str) -> None:
    assert masked(url) == shown


def test_masked_hides_a_password_given_as_query_parameter() -> None:
    result = masked(
        "postgresql+psycopg://alice@db.example/findings?password=s3cret&sslmode=require"
    )
    assert "s3cret" not in result
    assert result.startswith("postgresql+psycopg://alice@db.example/findings?")
    assert "sslmode=require" in result


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://alice:s3cret@db.example:notaport/findings",  # bad port
        "not a URL with alice:s3cret@host",
    ],
)
def test_masked_hides_the_password_of_an_unparsable_url(url: str) -> None:
    assert "s3cret" not in masked(url)


def test_masked_leaves_an_unparsable_url_without_credentials_readable() -> None:
    assert masked("not a url") == "not a url"


def test_sqlite_engine_turns_on_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        assert is_sqlite(engine)
        with engine.connect() as conn:
            assert is_sqlite(conn)
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_MS
    finally:
        engine.dispose()


def test_a_command_on_a_missing_sqlite_file_does_not_create_it(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    engine = make_engine(f"sqlite:///{missing}")
    with pytest.raises(
        DatabaseNotReadyError, match=r"no database file .*typo\.db.*provenance init"
    ):
        ensure_current(engine)
    assert not missing.exists()
