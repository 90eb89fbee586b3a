"""The database pool's gauges, kept current by the pool's own checkout and checkin events.

Read on events rather than at scrape time: with several workers, a scrape is answered by one
of them, and the others' values must already be in their files.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from core.metrics.standard import DB_POOL_CHECKED_OUT, DB_POOL_OVERFLOW, DB_POOL_SIZE

__all__ = ["watch_pool"]


def watch_pool(engine: AsyncEngine) -> None:
    """Publish the pool's size, connections in use and overflow now and after every change."""
    sync_engine = engine.sync_engine
    if not isinstance(sync_engine.pool, QueuePool):
        return  # SQLite in memory runs without a pool: nothing to report
    _publish(sync_engine)

    # On the engine rather than its pool: `dispose()` replaces the pool and keeps these.
    @event.listens_for(sync_engine, "checkout")
    def checked_out(*_: Any) -> None:
        _publish(sync_engine)

    @event.listens_for(sync_engine, "checkin")
    def checked_in(*_: Any) -> None:
        _publish(sync_engine, returning=True)


def _publish(engine: Engine, *, returning: bool = False) -> None:
    pool = engine.pool
    if not isinstance(pool, QueuePool):
        return
    size, in_use, overflow = pool.size(), pool.checkedout(), pool.overflow()
    if returning:
        # `checkin` fires before the connection is back in the pool; a full pool closes it.
        in_use -= 1
        if pool.checkedin() >= size:
            overflow -= 1
    DB_POOL_SIZE.set(size)
    DB_POOL_CHECKED_OUT.set(max(0, in_use))
    DB_POOL_OVERFLOW.set(max(0, overflow))  # QueuePool counts from -size until the pool is full
