"""`trellis worker` and `trellis beat`: Celery running the enabled modules' tasks.

Celery's tasks are synchronous and run on its threads; each hands its coroutine to the one
event loop this process owns (in a thread of its own), where the Runtime, its database pool
and the worker's relay live, and waits for it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine, Iterator
from contextlib import AsyncExitStack, contextmanager
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from celery import Celery  # type: ignore[import-untyped]
from celery.beat import EmbeddedService  # type: ignore[import-untyped]

from core.metrics.endpoint import METRICS_PATH, serves_metrics
from core.metrics.multiprocess import forget_this_process
from core.metrics.pool import watch_pool
from core.metrics.standalone import metrics_server
from core.tasks.broker import RUN, TICK, Publisher, celery_app, schedule_of
from core.tasks.execute import execute
from core.tasks.schedule import enqueue_slot
from core.tasks.service import relaying

if TYPE_CHECKING:
    from core.runtime import Runtime

log = logging.getLogger("trellis.tasks")
T = TypeVar("T")
BEAT_FILE = "celerybeat-schedule"  # under TRELLIS_VAR_DIR: when each periodic task last ticked


class LoopThread:
    """An asyncio loop running in a thread of its own; `call` runs a coroutine there, waits."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="trellis-tasks")

    def __enter__(self) -> LoopThread:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()


def bind_tasks(app: Celery, loop: LoopThread, runtime: Runtime) -> None:
    """Register `trellis.run` and `trellis.tick` on `app`, running on `loop` with `runtime`."""

    @app.task(name=RUN, ignore_result=True)  # type: ignore[untyped-decorator]
    def run(task_id: str) -> None:
        loop.call(execute(runtime, UUID(task_id)))

    @app.task(name=TICK, ignore_result=True)  # type: ignore[untyped-decorator]
    def tick(name: str) -> None:
        task = runtime.tasks.registry.get(name)
        if task is not None and task.every is not None:
            loop.call(enqueue_slot(runtime, task))


@contextmanager
def worker_relay(runtime: Runtime, loop: LoopThread) -> Iterator[None]:
    """The worker's own relay, on `loop`, for as long as the worker runs."""
    publisher = Publisher(runtime.settings)
    stack = AsyncExitStack()

    async def start() -> None:
        await stack.enter_async_context(relaying(runtime, publisher.send, schedule=False))

    loop.call(start())
    try:
        yield
    finally:
        loop.call(stack.aclose())
        publisher.close()


@contextmanager
def worker_metrics(runtime: Runtime, host: str) -> Iterator[None]:
    """Serve this worker's metrics on WORKER_METRICS_PORT while it runs, when metrics are on.

    Raises OSError when the port is taken.
    """
    settings = runtime.settings
    if not serves_metrics(settings):
        yield
        return
    watch_pool(runtime.engine)
    try:
        with metrics_server(host, settings.worker_metrics_port, settings.metrics_token) as bound:
            log.info("metrics on http://%s:%d%s", *bound, METRICS_PATH)
            yield
    finally:
        forget_this_process()  # its pool gauges no longer count


def run_worker(runtime: Runtime, loop: LoopThread, *, beat: bool, concurrency: int) -> None:
    """Consume TASK_QUEUE until a signal stops the worker (Celery's warm shutdown)."""
    settings = runtime.settings
    app = celery_app(settings, schedule=schedule_of(runtime.tasks.registry))
    bind_tasks(app, loop, runtime)
    embedded = None
    if beat:
        schedule_file = str(settings.var_dir / BEAT_FILE)
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        embedded = EmbeddedService(app, thread=True, schedule_filename=schedule_file)
    with worker_relay(runtime, loop):
        if embedded is not None:
            embedded.start()
        try:
            worker = app.Worker(
                queues=[settings.task_queue],
                pool="threads",
                concurrency=concurrency,
                loglevel=settings.log_level,
                quiet=True,
                without_mingle=True,  # workers share nothing but the queue: no start-up chatter
                without_gossip=True,
            )
            worker.start()
        finally:
            if embedded is not None:
                embedded.stop()


def run_beat(runtime: Runtime) -> None:
    """Send each periodic task's tick on its interval; every worker may take it."""
    settings = runtime.settings
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    app = celery_app(settings, schedule=schedule_of(runtime.tasks.registry))
    app.Beat(schedule=str(settings.var_dir / BEAT_FILE), loglevel=settings.log_level).run()
