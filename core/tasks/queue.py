"""`runtime.tasks`: enqueue a task in the caller's transaction; relayed once it commits."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from uuid import UUID, uuid4

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import on_commit
from core.tasks.spec import Task
from core.tasks.table import Status, task_table
from core.timestamps import utcnow


class UnknownTask(LookupError):
    """No enabled module declares a task of this name."""


class TaskQueue:
    """The enabled modules' tasks, and the outbox they are enqueued into.

    Enqueuing writes a row in the caller's session; after its commit the relays listening on
    this queue are woken so the task leaves at once instead of at the next sweep. A rollback
    leaves no row, so nothing runs.
    """

    def __init__(self, tasks: Mapping[str, Task]) -> None:
        self.registry: Mapping[str, Task] = dict(tasks)
        self._listeners: list[Callable[[], None]] = []

    async def enqueue(self, session: AsyncSession, name: str, /, **arguments: object) -> UUID:
        """Add task `name` with JSON `arguments` to `session`'s transaction; returns its id."""
        if name not in self.registry:
            raise UnknownTask(f"no enabled module declares the task {name!r}")
        json.dumps(arguments)  # a TypeError here, not in a relay later
        task_id = uuid4()
        now = utcnow()
        await session.execute(
            insert(task_table).values(
                id=task_id,
                name=name,
                arguments=arguments,
                status=Status.pending,
                attempts=0,
                run_after=now,
                created_at=now,
                updated_at=now,
            )
        )
        on_commit(session, self.notify)
        return task_id

    def listen(self, wake: Callable[[], None]) -> Callable[[], None]:
        """Call `wake` after each enqueuing commit; returns what stops it."""
        self._listeners.append(wake)
        return lambda: self._listeners.remove(wake)

    async def notify(self) -> None:
        """Wake the listening relays: something was committed to the outbox."""
        for wake in list(self._listeners):
            wake()
