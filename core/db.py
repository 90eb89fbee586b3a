"""The async engine and the one-transaction-per-unit-of-work session."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from core.pool import FairAsyncPool
from core.postgres import connect_args
from core.settings import Settings

DEFERRED_BEGIN = "trellis_deferred_begin"
COMMIT_ACTIONS = "trellis.on_commit"
ROLLBACK_ACTIONS = "trellis.on_rollback"
log = logging.getLogger("trellis.db")


def create_engine(settings: Settings) -> AsyncEngine:
    """A pooled engine whose every wait is bounded, so a lost database fails fast and recovers.

    On PostgreSQL see `core.postgres`; on SQLite the busy timeout bounds every lock wait.
    """
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        return _sqlite_engine(url, settings)
    return create_async_engine(
        url,
        poolclass=FairAsyncPool,
        pool_size=settings.pool_size,
        max_overflow=settings.pool_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args=connect_args(settings),
    )


def _sqlite_engine(url: str, settings: Settings) -> AsyncEngine:
    path = url.split(":///", 1)[-1]
    memory = path == ":memory:"
    if path and not memory:
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url,
        # The busy timeout: how long a statement waits for another connection's lock.
        connect_args={"timeout": settings.db_statement_timeout_ms / 1000},
        **(
            {"poolclass": NullPool}
            if memory
            else {"poolclass": FairAsyncPool, "pool_timeout": settings.db_pool_timeout}
        ),
    )
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling is switched off so that `begin` below owns it.
    dbapi_connection.isolation_level = None
    # WAL lets readers run beside the writer; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # A deferred transaction that reads and then writes fails at once with "database is locked"
    # when another writer got there first; taking the write lock up front makes it wait instead.
    # Reads (see `create_read_sessionmaker`) stay deferred, so they never queue behind writers.
    deferred = connection.get_execution_options().get(DEFERRED_BEGIN, False)
    connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def create_read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for work that only reads: on SQLite they take no write lock up front.

    A write through one still works, but may fail with "database is locked" (a 503) when
    another writer commits first; on PostgreSQL they are ordinary sessions.
    """
    return create_sessionmaker(engine.execution_options(**{DEFERRED_BEGIN: True}))


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session whose work commits when the block succeeds and rolls back when it raises.

    Actions registered with `on_commit` / `on_rollback` run once the outcome is known.
    """
    async with sessions() as session:
        try:
            async with session.begin():
                yield session
        except BaseException:
            await _settle(session, ROLLBACK_ACTIONS)
            raise
        await _settle(session, COMMIT_ACTIONS)


def on_commit(session: AsyncSession, action: Callable[[], Awaitable[None]]) -> None:
    """Run `action` after this session's transaction commits (not at all if it rolls back).

    For side effects outside the database that must not run ahead of the data, such as
    granting rights cached elsewhere.
    """
    session.info.setdefault(COMMIT_ACTIONS, []).append(action)


def on_rollback(session: AsyncSession, action: Callable[[], Awaitable[None]]) -> None:
    """Run `action` if this session's transaction rolls back, to undo work done ahead of it."""
    session.info.setdefault(ROLLBACK_ACTIONS, []).append(action)


async def _settle(session: AsyncSession, kind: str) -> None:
    actions = session.info.pop(kind, [])
    session.info.pop(COMMIT_ACTIONS, None)
    session.info.pop(ROLLBACK_ACTIONS, None)
    for action in actions:
        try:
            await action()
        except Exception:  # the transaction's outcome stands; one failed follow-up must not hide it
            log.exception("a %s action failed", kind)
