"""The database pools serve checkouts in arrival order: nobody cuts in line for a connection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from core.db import (
    create_engine,
    create_read_sessionmaker,
    create_sessionmaker,
    create_writer,
    transaction,
)
from core.pool import FairAsyncPool
from core.settings import Settings
from core.testing.databases import isolated_settings


@pytest.fixture
async def one_connection(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """A pool of one connection, returned without a reset (so without I/O: the test decides
    exactly when it comes back) and waited for up to 0.2 s."""
    engine = create_async_engine(
        settings.resolved_database_url,
        poolclass=FairAsyncPool,
        pool_size=1,
        max_overflow=0,
        pool_timeout=0.2,
        pool_reset_on_return=None,
    )
    yield engine
    await engine.dispose()


async def _check_out(engine: AsyncEngine, name: str, order: list[str]) -> None:
    async with engine.connect() as connection:
        order.append(name)
        await connection.execute(text("SELECT 1"))


async def test_a_returned_connection_goes_to_the_waiter_not_to_a_newcomer(
    one_connection: AsyncEngine,
) -> None:
    order: list[str] = []
    held = await one_connection.connect()
    waiter = asyncio.create_task(_check_out(one_connection, "waiter", order))
    await asyncio.sleep(0.05)  # queued for the only connection
    go = asyncio.Event()

    async def newcomer() -> None:
        await go.wait()
        await _check_out(one_connection, "newcomer", order)

    late = asyncio.create_task(newcomer())
    await asyncio.sleep(0)
    # The newcomer is woken first, then the connection comes back in the same step: it runs
    # before the waiter does. SQLAlchemy's own async pool lets it take the connection, and
    # the waiter queues again at the back.
    go.set()
    await held.close()
    await asyncio.gather(waiter, late)
    assert order == ["waiter", "newcomer"]


async def test_a_checkout_waits_only_up_to_the_pool_timeout_then_leaves_the_line(
    one_connection: AsyncEngine,
) -> None:
    held = await one_connection.connect()
    with pytest.raises(exc.TimeoutError):
        await one_connection.connect()
    await held.close()
    order: list[str] = []
    await _check_out(one_connection, "next", order)  # not handed to the one that gave up
    assert order == ["next"]


async def test_a_waiter_cancelled_after_being_handed_a_connection_passes_it_on(
    one_connection: AsyncEngine,
) -> None:
    order: list[str] = []
    held = await one_connection.connect()
    first = asyncio.create_task(_check_out(one_connection, "first", order))
    second = asyncio.create_task(_check_out(one_connection, "second", order))
    await asyncio.sleep(0.05)
    await held.close()  # handed to `first`...
    first.cancel()  # ...which is cancelled before it runs again
    with pytest.raises(asyncio.CancelledError):
        await first
    await second
    assert order == ["second"]


def test_the_engines_pool_is_the_fair_one(settings: Settings) -> None:
    assert isinstance(create_engine(settings).pool, FairAsyncPool)


@pytest.fixture
async def sqlite_sessions(
    tmp_path: Path,
) -> AsyncIterator[tuple[async_sessionmaker[AsyncSession], async_sessionmaker[AsyncSession]]]:
    """Write and read sessions as a runtime makes them on the embedded SQLite file."""
    settings = isolated_settings(tmp_path)  # no DATABASE_URL: SQLite, whatever the backend
    engine = create_engine(settings)
    writer = create_writer(settings, engine)
    yield create_sessionmaker(writer), create_read_sessionmaker(engine)
    await writer.dispose()
    await engine.dispose()


async def _write(sessions: async_sessionmaker[AsyncSession], name: str, order: list[str]) -> None:
    async with transaction(sessions) as session:
        await session.execute(text("INSERT INTO pool_order (name) VALUES (:name)"), {"name": name})
        order.append(name)


async def test_sqlite_writers_take_the_write_lock_in_arrival_order_and_readers_pass(
    sqlite_sessions: tuple[async_sessionmaker[AsyncSession], async_sessionmaker[AsyncSession]],
) -> None:
    writes, reads = sqlite_sessions
    async with transaction(writes) as session:
        await session.execute(text("CREATE TABLE IF NOT EXISTS pool_order (name TEXT)"))
    order: list[str] = []
    async with transaction(writes) as holder:  # holds SQLite's write lock...
        await holder.execute(text("INSERT INTO pool_order (name) VALUES ('holder')"))
        writers = []
        for name in ("first", "second", "third"):
            writers.append(asyncio.create_task(_write(writes, name, order)))
            await asyncio.sleep(0.05)
        async with transaction(reads) as reader:  # ...while a reader still reads
            assert await reader.scalar(text("SELECT count(*) FROM pool_order")) == 0
        assert order == []
    await asyncio.gather(*writers)
    assert order == ["first", "second", "third"]
