"""The database pool serves checkouts in arrival order: nobody cuts in line for a connection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from core.db import create_engine
from core.pool import FairAsyncPool
from core.settings import Settings


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
