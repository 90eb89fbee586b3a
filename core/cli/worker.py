"""`trellis worker` and `trellis beat`: Celery for the enabled modules' tasks (needs BROKER_URL).

Both load `plugins.toml` and the settings exactly as `trellis serve` does.
"""

from __future__ import annotations

import asyncio
from contextlib import ExitStack
from typing import Annotated

import typer

from core.cli.context import fail, load_host, load_settings
from core.logs import configure_logging, json_logs, package_logger
from core.migrate import SchemaBehind, pending
from core.settings import Settings

NO_BROKER = (
    "BROKER_URL is not set: without a broker, tasks run inside the API process (trellis serve)"
)


def worker(
    beat: Annotated[bool, typer.Option("--beat", help="Also run the periodic schedule.")] = False,
    concurrency: Annotated[int, typer.Option(min=1, help="Tasks run at once.")] = 4,
    metrics_host: Annotated[
        str, typer.Option(help="Interface for /metrics on WORKER_METRICS_PORT.")
    ] = "127.0.0.1",
) -> None:
    """Run the enabled modules' background tasks from TASK_QUEUE until stopped (SIGTERM)."""
    # Celery: only for these commands
    from core.tasks.worker import LoopThread, run_worker, worker_metrics

    settings = _broker_settings()
    host = load_host(settings)
    configure_logging(
        settings.log_level,
        module_loggers=[package_logger(m.plugin) for m in host.enabled],
        json=json_logs(settings),
    )
    runtime = host.runtime(settings)
    with LoopThread() as loop:
        try:
            if behind := loop.call(pending(runtime, host)):
                raise SchemaBehind(
                    f"the database schema is behind for: {', '.join(behind)}; run `trellis migrate`"
                )
            with ExitStack() as metrics:
                try:
                    metrics.enter_context(worker_metrics(runtime, metrics_host))
                except OSError as error:
                    port = settings.worker_metrics_port
                    fail(f"cannot serve metrics on {metrics_host}:{port}: {error.strerror}")
                run_worker(runtime, loop, beat=beat, concurrency=concurrency)
        finally:
            loop.call(runtime.close())


def beat() -> None:
    """Send the periodic tasks' ticks on their schedule; run exactly one beat per deployment
    (a second is harmless: each interval's run is enqueued once, whoever ticks)."""
    from core.tasks.worker import run_beat

    settings = _broker_settings()
    configure_logging(settings.log_level, json=json_logs(settings))
    runtime = load_host(settings).runtime(settings)
    try:
        run_beat(runtime)
    finally:
        asyncio.run(runtime.close())


def _broker_settings() -> Settings:
    settings = load_settings()
    if not settings.broker_url:
        fail(NO_BROKER)
    return settings
