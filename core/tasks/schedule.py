"""Periodic tasks: one run per interval ("slot"), however many instances or beats ask.

A slot's run has a deterministic id (uuid5 of the task's name and the slot's number), so the
second insert of it is a no-op: two beats, or every API instance's lifespan, never double it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING
from uuid import UUID, uuid5

from core.db import on_commit
from core.tasks import store
from core.tasks.spec import Task
from core.timestamps import utcnow

if TYPE_CHECKING:
    from core.runtime import Runtime

log = logging.getLogger("trellis.tasks")
NAMESPACE = UUID("6f1c1a52-3b9e-4c1e-9d0e-7f3a2b6c8d41")
CATCH_UP = 60.0  # seconds: how late a slot that began while nothing ran may be enqueued


def periodic(tasks: Iterable[Task]) -> list[Task]:
    return [task for task in tasks if task.every is not None]


def slot_id(task: Task) -> UUID:
    """The id of the current slot's run of the periodic `task`."""
    assert task.every is not None
    slot = int(utcnow().timestamp() // task.every.total_seconds())
    return uuid5(NAMESPACE, f"{task.name}@{slot}")


async def enqueue_slot(runtime: Runtime, task: Task) -> bool:
    """Enqueue the current slot's run of `task` unless some process already did."""
    async with runtime.transaction() as session:
        added = await store.add_once(session, slot_id(task), task.name)
        on_commit(session, runtime.tasks.notify)
    if added:
        log.info("periodic task %s enqueued", task.name)
    return added


class Schedule:
    """The embedded default's schedule, asked on every relay sweep; writes once per slot.

    Each slot's run is enqueued as the slot begins, or, if no process was up then (a restart
    across midnight, a rollout), once a process has been up for `catch_up(task)`: a slot is
    never skipped, and a start-up never races the first requests for the pool with a daily
    clean-up. Whichever process asks first wins; the others' inserts are no-ops.
    """

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._started = time.monotonic()
        self._seen: dict[str, UUID] = {}

    async def tick(self) -> bool:
        """Enqueue each periodic task's current slot not yet asked for; True if any was added."""
        added = False
        up_for = time.monotonic() - self._started
        for task in periodic(self._runtime.tasks.registry.values()):
            current = slot_id(task)
            if self._seen.get(task.name) == current or up_for < catch_up(task):
                continue
            added = await enqueue_slot(self._runtime, task) or added
            self._seen[task.name] = current
        return added


def catch_up(task: Task) -> float:
    """Seconds of uptime before a process (or beat) asks for the slot it started in."""
    assert task.every is not None
    return min(task.every.total_seconds(), CATCH_UP)
