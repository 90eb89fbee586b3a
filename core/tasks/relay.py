"""The relay: moves due outbox rows to whoever runs them (Celery, or the in-process runner).

It runs in every API process and in every `trellis worker`, sweeping every
TASK_POLL_INTERVAL and at once after a commit that enqueued something. A row is marked queued
with a lease before it is sent; if sending fails it is due again at the next sweep, and if
the message is lost after all, the lease runs out and it is sent again. Delivery is
therefore at-least-once; `store.claim` keeps a duplicate from running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import exists, select

from core.db import transaction
from core.tasks import store
from core.tasks.schedule import Schedule
from core.timestamps import utcnow

if TYPE_CHECKING:
    from core.runtime import Runtime

log = logging.getLogger("trellis.tasks")
Send = Callable[[UUID], Awaitable[None]]
QUEUE_LEASE = timedelta(minutes=5)  # a queued row nobody claimed this long is sent again
DONE_KEPT = timedelta(days=2)  # finished rows kept at least this long, and two slots
PRUNE_EVERY = 3600.0  # seconds between deletions of old finished rows


class Relay:
    """Sweeps the outbox, sends what is due, and (embedded default) enqueues periodic runs."""

    def __init__(self, runtime: Runtime, send: Send, *, schedule: Schedule | None = None) -> None:
        self._runtime = runtime
        self._send = send
        self._schedule = schedule
        self._pruned_at = time.monotonic()  # first prune an interval after start-up, not during it

    async def run(self) -> None:
        """Sweep until cancelled; a failed sweep (database down) is logged and retried."""
        wake = asyncio.Event()
        stop_listening = self._runtime.tasks.listen(wake.set)
        try:
            while True:
                wake.clear()
                try:
                    await self.sweep()
                except Exception as error:  # the loop must outlive an outage
                    log.warning("task relay: sweep failed (%s)", type(error).__name__)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._runtime.settings.task_poll_interval):
                        await wake.wait()
        finally:
            stop_listening()

    async def sweep(self) -> int:
        """Send every due row once; returns how many were sent."""
        if self._schedule is not None:
            await self._schedule.tick()
        await self._prune()
        if not await self._anything_due():
            return 0
        async with self._runtime.transaction() as session:
            ids = await store.take_due(session, lease=QUEUE_LEASE)
        sent = 0
        for task_id in ids:
            try:
                await self._send(task_id)
                sent += 1
            except Exception as error:
                log.warning("task %s: not sent (%s); retried", task_id, type(error).__name__)
                async with self._runtime.transaction() as session:
                    await store.release(session, task_id)
        return sent

    async def _anything_due(self) -> bool:
        """A read first: on SQLite the sweep's write lock is only taken when there is work."""
        async with transaction(self._runtime.read_sessions) as session:
            due = await session.scalar(select(exists().where(store.due(utcnow()))))
        return bool(due)

    async def _prune(self) -> None:
        if time.monotonic() - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = time.monotonic()
        # A periodic run's row must outlive its slot, or the slot would be enqueued again.
        slots = [task.every for task in self._runtime.tasks.registry.values() if task.every]
        kept = max([DONE_KEPT, *(2 * every for every in slots)])
        async with self._runtime.transaction() as session:
            await store.prune_done(session, older_than=kept)
