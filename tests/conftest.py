"""Fixtures shared by the whole suite: backends, settings, and apps built from chosen modules.

Every test that asks for `backend` runs on the embedded default (SQLite + in-process cache),
and again on PostgreSQL + Redis when TEST_DATABASE_URL / TEST_REDIS_URL are set.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core.host import Host
from core.migrate import upgrade
from core.plugins import discover_modules
from core.runtime import Runtime
from core.settings import Settings, normalise_database_url
from core.testing import client_for, plugins, random_prefix

TEST_SECRET = "test-secret-key-that-is-long-enough-for-hs256-0123456789"


@dataclass(frozen=True)
class Backend:
    name: str
    database_url: str | None  # None: a copy of the migrated SQLite template per test
    redis_url: str | None


def _backends() -> list[str]:
    return ["sqlite", "postgres"] if os.environ.get("TEST_DATABASE_URL") else ["sqlite"]


def all_modules_config() -> Any:
    """Every installed module, so one migrated template database serves every test."""
    return plugins(list(discover_modules()))


def _migrate(settings: Settings) -> None:
    async def run() -> None:
        runtime = Runtime.build(
            settings, Host.load(settings.plugins_file, config=all_modules_config())
        )
        try:
            await upgrade(runtime)
        finally:
            await runtime.close()

    asyncio.run(run())


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    var = tmp_path_factory.mktemp("template")
    _migrate(Settings(_env_file=None, var_dir=var, secret_key=TEST_SECRET, auto_migrate=False))
    return var / "trellis.db"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of its own for this test run, dropped at the end."""
    admin_url = normalise_database_url(os.environ["TEST_DATABASE_URL"])
    name = f"trellis_test_{secrets.token_hex(4)}"
    admin = create_engine(
        make_url(admin_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    _migrate(Settings(_env_file=None, database_url=url, secret_key=TEST_SECRET))
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_all(url: str) -> None:
    engine = create_engine(make_url(url))
    with engine.begin() as connection:
        tables = (
            connection.execute(
                text(
                    "SELECT tablename FROM pg_tables"
                    " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                )
            )
            .scalars()
            .all()
        )
        if tables:
            connection.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"))
    engine.dispose()


@pytest.fixture(params=_backends())
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        _truncate_all(url)
        return Backend("postgres", url, os.environ.get("TEST_REDIS_URL"))
    return Backend("sqlite", None, None)


@pytest.fixture
def settings(backend: Backend, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Settings for one test: its own database (or clean tables), its own cache keys."""
    if backend.database_url is None:
        shutil.copy(request.getfixturevalue("sqlite_template"), tmp_path / "trellis.db")
    return Settings(
        _env_file=None,
        database_url=backend.database_url,
        redis_url=backend.redis_url,
        secret_key=TEST_SECRET,
        var_dir=tmp_path,
        cache_prefix=random_prefix(),
        auto_migrate=False,
    )


ClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def make_client(settings: Settings) -> ClientFactory:
    """`async with make_client(["users"], {"users": {...}}) as client:`, an app of those modules."""

    def factory(
        modules: Sequence[str],
        module_settings: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        settings_override: Mapping[str, Any] | None = None,
        extra_plugins: Sequence[object] = (),
    ) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        chosen = settings.model_copy(update=dict(settings_override or {}))
        return client_for(chosen, modules, module_settings, extra_plugins=extra_plugins)

    return factory


@pytest.fixture
async def health_client(make_client: ClientFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(["health"]) as client:
        yield client
