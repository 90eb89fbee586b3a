"""The task engine's part of a process's life: relay, runner and schedule, started and stopped.

In the API (`create_app`'s lifespan): with `BROKER_URL` only the relay runs, publishing to
Celery; without, the relay hands tasks to the in-process runner and the schedule enqueues
periodic runs. `trellis worker` runs its own relay beside the Celery worker.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from core.tasks.relay import Relay, Send
from core.tasks.runner import LocalRunner
from core.tasks.schedule import Schedule

if TYPE_CHECKING:
    from core.runtime import Runtime


@asynccontextmanager
async def relaying(runtime: Runtime, send: Send, *, schedule: bool) -> AsyncIterator[Relay]:
    """A relay sweeping in the background until the block ends."""
    relay = Relay(runtime, send, schedule=Schedule(runtime) if schedule else None)
    sweeping = asyncio.create_task(relay.run(), name="trellis-task-relay")
    try:
        yield relay
    finally:
        sweeping.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeping


@asynccontextmanager
async def background_tasks(runtime: Runtime) -> AsyncIterator[None]:
    """The API process's task engine; in-process tasks get SHUTDOWN_TIMEOUT to finish."""
    settings = runtime.settings
    if not runtime.tasks.registry:  # no enabled module has tasks: nothing to relay or run
        yield
        return
    if settings.broker_url:
        from core.tasks.broker import Publisher  # Celery is imported only with a broker

        publisher = Publisher(settings)
        try:
            async with relaying(runtime, publisher.send, schedule=False):
                yield
        finally:
            publisher.close()
        return
    runner = LocalRunner(runtime)
    try:
        async with relaying(runtime, runner.send, schedule=True):
            yield
    finally:
        await runner.close(grace=settings.shutdown_timeout)
