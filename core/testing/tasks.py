"""Wait for background tasks in a test: a request only enqueues, the task runs after it.

`await tasks.settle()` returns once every task in the outbox is done or dead (a mail sent,
a token stored with its task's completion); `await tasks.rows("notes.digest")` shows what
was enqueued, so a test can also check that nothing was.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import select

from core.runtime import Runtime
from core.tasks.table import Status, task_table

t = task_table.c
SETTLED = (Status.done, Status.dead)


@dataclass(frozen=True)
class TaskRow:
    """One enqueued task as the outbox holds it; `status` is pending, queued, running, done or
    dead (out of retries)."""

    id: UUID
    name: str
    arguments: dict[str, Any]
    status: str
    attempts: int
    last_error: str | None


async def tasks_settled(runtime: Runtime, *, within: float = 10.0) -> None:
    """Wait until every task of `runtime`'s outbox is done or dead (AssertionError after
    `within` seconds, naming what is still unsettled)."""
    unsettled = select(t.name, t.status).where(t.status.not_in(SETTLED))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        async with runtime.engine.connect() as connection:
            left = (await connection.execute(unsettled)).all()
        if not left:
            return
        if loop.time() > deadline:
            found = ", ".join(f"{name} ({status})" for name, status in left)
            raise AssertionError(f"tasks not settled within {within}s: {found}")
        await asyncio.sleep(0.02)


async def task_rows(runtime: Runtime, name: str) -> list[TaskRow]:
    """The outbox rows of task `name`, oldest first."""
    query = (
        select(t.id, t.name, t.arguments, t.status, t.attempts, t.last_error)
        .where(t.name == name)
        .order_by(t.created_at)
    )
    async with runtime.engine.connect() as connection:
        found = (await connection.execute(query)).all()
    return [TaskRow(*row) for row in found]


class Tasks:
    """The `tasks` fixture: the outbox of the app a test runs (the latest `make_client` built,
    or `runtime=` for one built otherwise)."""

    def __init__(self, runtimes: Sequence[Runtime]) -> None:
        self._runtimes = runtimes

    def _runtime(self, runtime: Runtime | None) -> Runtime:
        if runtime is not None:
            return runtime
        if not self._runtimes:
            raise AssertionError("no app is running: build one with make_client, or pass runtime=")
        return self._runtimes[-1]

    async def settle(self, *, within: float = 10.0, runtime: Runtime | None = None) -> None:
        """Return once every enqueued task is done or dead; fail after `within` seconds."""
        await tasks_settled(self._runtime(runtime), within=within)

    async def rows(self, name: str, *, runtime: Runtime | None = None) -> list[TaskRow]:
        """The rows of task `name`, oldest first."""
        return await task_rows(self._runtime(runtime), name)
