"""A database pool that hands a returned connection to the longest waiter.

SQLAlchemy's async pool keeps its idle connections in an `asyncio.Queue`. A returned
connection goes into the queue and the first waiter is woken, but a request that checks out
before that waiter runs takes the connection first; the waiter, finding the queue empty, waits
again at the back. Under load (a write at c64 on a pool of 20) a few requests lose that race
again and again and wait the whole pool timeout, past any client's patience, while the others
pass (python/cpython#83055; asyncpg and sqlx pools had the same bug). Here a returned
connection goes straight to the longest waiter, and nobody takes an idle one while anyone
waits, so the longest wait is the queue's length times a transaction.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry
from sqlalchemy.util import await_
from sqlalchemy.util.queue import AsyncAdaptedQueue, Empty, Full

__all__ = ["FairAsyncPool"]


class _HandoffQueue(AsyncAdaptedQueue[ConnectionPoolEntry]):
    """Idle connections, and the checkouts waiting for one, both first come first served."""

    def __init__(self, maxsize: int = 0, use_lifo: bool = False) -> None:
        super().__init__(maxsize, use_lifo)
        self._idle: deque[ConnectionPoolEntry] = deque()
        self._waiters: deque[asyncio.Future[ConnectionPoolEntry]] = deque()

    def empty(self) -> bool:
        return not self._idle

    def full(self) -> bool:
        return 0 < self.maxsize <= len(self._idle)

    def qsize(self) -> int:
        return len(self._idle)

    def put_nowait(self, item: ConnectionPoolEntry) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():  # one whose timer fired stays queued until it runs again
                waiter.set_result(item)
                return
        if self.full():
            raise Full()
        self._idle.append(item)

    def put(self, item: ConnectionPoolEntry, block: bool = True, timeout: Any = None) -> None:
        self.put_nowait(item)  # never blocks: a returned connection is a waiter's or idle

    def get_nowait(self) -> ConnectionPoolEntry:
        # Idle connections exist only while nobody waits: a newcomer cannot cut in line.
        if not self._idle:
            raise Empty()
        return self._idle.pop() if self.use_lifo else self._idle.popleft()

    def get(self, block: bool = True, timeout: float | None = None) -> ConnectionPoolEntry:
        if self._idle or not block:
            return self.get_nowait()
        return await_(self._wait(within=timeout))

    async def _wait(self, *, within: float | None) -> ConnectionPoolEntry:
        waiter: asyncio.Future[ConnectionPoolEntry] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(within):
                return await waiter
        except TimeoutError:
            # A connection handed over in the same instant the timer fired is ours: keep it.
            if waiter.done() and not waiter.cancelled():
                return waiter.result()
            raise Empty() from None
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.put_nowait(waiter.result())  # handed one, then cancelled: pass it on
            raise
        finally:
            if waiter in self._waiters:  # timed out or cancelled: leave the line
                self._waiters.remove(waiter)


class FairAsyncPool(AsyncAdaptedQueuePool):
    """SQLAlchemy's async queue pool, with checkouts served in arrival order."""

    _queue_class = _HandoffQueue
