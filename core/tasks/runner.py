"""The embedded default's runner: tasks run in the API process, a bounded number at a time."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING
from uuid import UUID

from core.tasks.execute import execute

if TYPE_CHECKING:
    from core.runtime import Runtime

log = logging.getLogger("trellis.tasks")
CONCURRENCY = 8  # tasks of one process at once; the rest wait their turn, still leased


class LocalRunner:
    """Runs handed-over ids as asyncio tasks, kept so shutdown can wait for them."""

    def __init__(self, runtime: Runtime, *, concurrency: int = CONCURRENCY) -> None:
        self._runtime = runtime
        self._slots = asyncio.Semaphore(concurrency)
        self._running: dict[UUID, asyncio.Task[None]] = {}

    async def send(self, task_id: UUID) -> None:
        """Start `task_id` unless it is already waiting or running here."""
        if task_id in self._running:
            return
        job = asyncio.create_task(self._run(task_id), name=f"trellis-task-{task_id}")
        self._running[task_id] = job
        job.add_done_callback(lambda _: self._running.pop(task_id, None))

    async def _run(self, task_id: UUID) -> None:
        async with self._slots:
            try:
                await execute(self._runtime, task_id)
            except Exception:  # the database failed around the attempt; its lease brings it back
                log.exception("task %s: could not be run", task_id)

    async def close(self, *, grace: float) -> None:
        """Let running tasks finish for up to `grace` seconds, then cancel them; a
        cancelled attempt's lease runs out and it runs again later."""
        pending = list(self._running.values())
        if not pending:
            return
        _, late = await asyncio.wait(pending, timeout=grace)
        for job in late:
            job.cancel()
        if late:
            await asyncio.wait(late)
            log.warning("%d task(s) cancelled at shutdown; they will run again", len(late))
