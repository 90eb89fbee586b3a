"""Celery, with `BROKER_URL` (Redis or RabbitMQ): the only module that imports it.

Two Celery tasks carry everything: `trellis.run` takes an outbox id (a task's name and
arguments stay in the database, never in a message or Celery's logs) and `trellis.tick`
takes a periodic task's name, sent by beat, to enqueue that task's current slot.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import timedelta
from uuid import UUID

from celery import Celery  # type: ignore[import-untyped]

from core.settings import Settings
from core.tasks.schedule import CATCH_UP
from core.tasks.spec import Task

RUN = "trellis.run"
TICK = "trellis.tick"
CONNECT_TIMEOUT = 3.0  # seconds: a stopped broker fails a publish fast; the relay retries it


def celery_app(settings: Settings, *, schedule: dict[str, timedelta] | None = None) -> Celery:
    """A Celery app for `BROKER_URL`, consuming and publishing on `TASK_QUEUE`."""
    app = Celery("trellis", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_default_queue=settings.task_queue,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        worker_prefetch_multiplier=1,
        # An attempt cut off by a lost connection runs again through its lease anyway.
        worker_cancel_long_running_tasks_on_connection_loss=True,
        worker_hijack_root_logger=False,  # Trellis's own logging (core.logs) stays in charge
        broker_connection_timeout=CONNECT_TIMEOUT,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "socket_connect_timeout": CONNECT_TIMEOUT,
            "socket_timeout": CONNECT_TIMEOUT,
        },
        # Ticks at most CATCH_UP apart, whatever the interval: the tick enqueues the current
        # slot once, so a slot that began while no beat ran (a restart, a rollout; beat's own
        # record of last runs may be gone with its pod) is caught up within a minute.
        beat_schedule={
            name: {
                "task": TICK,
                "schedule": min(every, timedelta(seconds=CATCH_UP)),
                "args": (name,),
            }
            for name, every in (schedule or {}).items()
        },
    )
    return app


class Publisher:
    """Sends outbox ids to the broker; raises when it cannot (the relay sends them again)."""

    def __init__(self, settings: Settings) -> None:
        self._app = celery_app(settings)
        self._queue = settings.task_queue

    async def send(self, task_id: UUID) -> None:
        await asyncio.to_thread(self._publish, task_id)

    def _publish(self, task_id: UUID) -> None:
        # retry=False: kombu would otherwise wait for the broker, holding up the whole sweep.
        self._app.send_task(
            RUN, args=[str(task_id)], task_id=str(task_id), queue=self._queue, retry=False
        )

    def close(self) -> None:
        self._app.close()


def schedule_of(registry: Mapping[str, Task]) -> dict[str, timedelta]:
    """Every periodic task's interval, by name, for `celery_app(schedule=...)`."""
    return {name: task.every for name, task in registry.items() if task.every is not None}
