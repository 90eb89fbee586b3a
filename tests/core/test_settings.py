"""Settings: production refuses unsafe values; development keeps a generated key."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from core.settings import Settings


def production(**values: object) -> Settings:
    return Settings(_env_file=None, environment="production", **values)  # type: ignore[arg-type]


def test_production_refuses_a_missing_or_short_secret_key() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY must be set to at least 32 bytes"):
        production(database_url="postgresql://db/app")
    with pytest.raises(ValidationError, match="SECRET_KEY must be set to at least 32 bytes"):
        production(database_url="postgresql://db/app", secret_key="short")


def test_production_refuses_the_embedded_database_and_wildcard_cors() -> None:
    key = "k" * 32
    with pytest.raises(ValidationError, match="DATABASE_URL must be set in production"):
        production(secret_key=key)
    with pytest.raises(ValidationError, match="CORS_ORIGINS may not be"):
        production(secret_key=key, database_url="postgresql://db/app", cors_origins="*")
    assert production(secret_key=key, database_url="postgresql://db/app").is_production


def test_development_generates_a_key_once_and_keeps_it(tmp_path: Path) -> None:
    first = Settings(_env_file=None, var_dir=tmp_path).signing_key()
    again = Settings(_env_file=None, var_dir=tmp_path).signing_key()
    assert first == again
    assert len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    monkeypatch.setenv("TRELLIS_RATE_LIMIT_DISABLED", "1")
    settings = Settings(_env_file=None)
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.resolved_database_url == "postgresql+psycopg://u@h/db"
    assert settings.rate_limit_disabled is True
    assert not settings.should_auto_migrate


def test_a_bad_rate_names_the_expected_form() -> None:
    with pytest.raises(ValidationError, match="expected a rate like '100/minute'"):
        Settings(_env_file=None, api_rate_limit="lots")
