"""The test databases: one migrated per test session, handed to each test with clean tables.

SQLite: a migrated template file, copied for every test (a copy is faster than emptying).
PostgreSQL: a database of the session's own on the `TEST_DATABASE_URL` server, created and
migrated once, truncated before each test and given back the rows the migrations seeded (the
built-in roles), dropped at the end: each test starts from a freshly migrated database.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, Table, create_engine, select, text
from sqlalchemy.engine import make_url

from core.host import Host
from core.migrate import upgrade
from core.plugins import discover_modules
from core.settings import Settings, normalise_database_url
from core.testing.apps import plugins


@dataclass(frozen=True)
class Backend:
    """Where a test's data lives: `sqlite` (a file of its own) or `postgres` (shared, emptied)."""

    name: str
    database_url: str | None  # None: a copy of the migrated SQLite template per test
    redis_url: str | None


TEST_SECRET = "test-secret-key-that-is-long-enough-for-hs256-0123456789"  # noqa: S105 - tests only


def migrate_every_module(settings: Settings) -> None:
    """Bring every installed module's tables to head, so one database serves every test."""

    async def run() -> None:
        host = Host.load(settings.plugins_file, config=plugins(list(discover_modules())))
        runtime = host.runtime(settings)
        try:
            await upgrade(runtime, host)
        finally:
            await runtime.close()

    asyncio.run(run())


def isolated_settings(
    var_dir: Path, *, database_url: str | None = None, redis_url: str | None = None
) -> Settings:
    """Settings isolated from the environment: no `.env`, no migration at start-up."""
    return Settings(
        _env_file=None,
        database_url=database_url,
        redis_url=redis_url,
        secret_key=TEST_SECRET,
        var_dir=var_dir,
        auto_migrate=False,
    )


@contextmanager
def postgres_database(server_url: str, *, prefix: str = "trellis_test") -> Iterator[str]:
    """A new database on `server_url`, yielded as a URL, dropped afterwards."""
    admin_url = make_url(normalise_database_url(server_url))
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = create_engine(
        admin_url.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass(frozen=True)
class Seeds:
    """The rows a freshly migrated database holds, table by table in foreign key order."""

    tables: Sequence[tuple[Table, Sequence[Mapping[str, Any]]]] = field(default_factory=tuple)


def _engine(url: str) -> Engine:
    return create_engine(make_url(url).set(drivername="postgresql+psycopg"))


def read_seeds(url: str) -> Seeds:
    """What the migrations put into the database at `url` (built-in rows), to restore later."""
    engine = _engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            found = [
                (table, [dict(row._mapping) for row in connection.execute(select(table))])
                for table in metadata.sorted_tables
                if table.name != "alembic_version"
            ]
    finally:
        engine.dispose()
    return Seeds(tuple((table, rows) for table, rows in found if rows))


def truncate_all(url: str, seeds: Seeds | None = None) -> None:
    """Empty every table but Alembic's, in one statement (foreign keys included), then put
    back `seeds`."""
    engine = _engine(url)
    try:
        with engine.begin() as connection:
            tables = (
                connection.execute(
                    text(
                        "SELECT tablename FROM pg_tables"
                        " WHERE schemaname = current_schema() AND tablename <> 'alembic_version'"
                    )
                )
                .scalars()
                .all()
            )
            if tables:
                names = ", ".join(f'"{table}"' for table in tables)
                connection.execute(text(f"TRUNCATE {names} CASCADE"))
            for table, rows in seeds.tables if seeds else ():
                connection.execute(table.insert(), [dict(row) for row in rows])
    finally:
        engine.dispose()
