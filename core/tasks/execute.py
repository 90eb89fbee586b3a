"""One attempt of one task, by outbox id: claim, run, then done or failed, never twice at once.

The task's writes and its "done" commit in one transaction, so a crash between them leaves
neither (the attempt runs again). Logs carry the task's name, id, attempt and outcome, and an
error's type; never its arguments.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from core.metrics.declare import counter
from core.tasks import store
from core.tasks.spec import Task

if TYPE_CHECKING:
    from core.runtime import Runtime

log = logging.getLogger("trellis.tasks")
LEASE_MARGIN = 30.0  # seconds past an attempt's timeout before another process may take it
RUNS = counter("trellis_tasks_total", "Task attempts, by task and outcome.", ["task", "outcome"])


class LostClaim(Exception):
    """The attempt's row was taken over meanwhile (its lease ran out): undo its writes."""


def describe_error(error: BaseException) -> str:
    """Type and message, on one line, truncated: never the task's arguments."""
    message = " ".join(str(error).split())
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


async def execute(runtime: Runtime, task_id: UUID) -> None:
    """Run `task_id` if it is ours to run; a duplicate delivery returns without running it."""
    unknown = Task(name="", run=_missing)  # for a row of a module no longer enabled
    async with runtime.transaction() as session:
        lease = timedelta(seconds=_longest_timeout(runtime) + LEASE_MARGIN)
        claimed = await store.claim(session, task_id, lease=lease)
    if claimed is None:
        log.debug("task %s: not due or taken by another attempt; skipped", task_id)
        return
    task = runtime.tasks.registry.get(claimed.name, unknown)
    try:
        async with runtime.transaction() as session:
            async with asyncio.timeout(task.timeout):
                await task.run(runtime, session, **claimed.arguments)
            if not await store.finish(session, claimed):
                raise LostClaim("another attempt took the task over")
    except LostClaim:
        log.warning("task %s %s attempt %d: lease lost", claimed.name, task_id, claimed.attempt)
        return
    except Exception as error:
        await _record_failure(runtime, task, claimed, error)
        return
    RUNS.labels(task=claimed.name, outcome="done").inc()
    log.info("task %s %s attempt %d: done", claimed.name, task_id, claimed.attempt)


async def _record_failure(
    runtime: Runtime, task: Task, claimed: store.Claimed, error: Exception
) -> None:
    exhausted = claimed.attempt > task.retries or not task.name
    retry_in = (
        None
        if exhausted
        else task.delay(claimed.attempt, scale=runtime.settings.task_backoff_scale)
    )
    async with runtime.transaction() as session:
        await store.fail(session, claimed, error=describe_error(error), retry_in=retry_in)
    outcome = "dead" if retry_in is None else "retry"
    RUNS.labels(task=claimed.name, outcome=outcome).inc()
    log.warning(
        "task %s %s attempt %d failed (%s): %s",
        claimed.name,
        claimed.id,
        claimed.attempt,
        type(error).__name__,
        "dead letter" if retry_in is None else f"retry in {retry_in:.1f}s",
    )


def _longest_timeout(runtime: Runtime) -> float:
    """The lease must outlast any attempt; before the claim we do not know which task it is."""
    return max((task.timeout for task in runtime.tasks.registry.values()), default=0.0)


async def _missing(*_: object, **__: object) -> None:
    raise LookupError("no enabled module declares this task")
