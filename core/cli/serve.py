"""`trellis serve`: check the configuration, then hand over to uvicorn (`core.cli.server`)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from core.cli.context import check_setup, fail, load_settings
from core.cli.server import run_uvicorn
from core.logs import UVICORN_LOG_CONFIG
from core.mail import MailSettings, UnsafeMailSettings
from core.metrics import multiprocess
from core.metrics.endpoint import serves_metrics
from core.settings import Settings

WS_MAX_MESSAGE_BYTES = 64 * 1024


def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, envvar="WEB_CONCURRENCY", help="Worker processes.")
    ] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
    access_log: Annotated[
        bool | None,
        typer.Option(
            "--access-log/--no-access-log",
            help="Log one line per request (costs throughput)  [default: ACCESS_LOG, on]",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the API with uvicorn (the embedded SQLite default migrates itself at start-up)."""
    # Workers build the app from the environment: the options reach them through it. The
    # worker count sizes each worker's share of the database connections (DB_MAX_CONNECTIONS).
    flag = {"WEB_CONCURRENCY": str(1 if reload else workers)}
    if access_log is not None:
        flag["ACCESS_LOG"] = str(access_log).lower()
    with _environment(flag):
        # Fail here with one line rather than inside every uvicorn worker with a traceback.
        settings = load_settings()
        if not reload:
            _check_workers(settings, workers)
        if settings.is_production:
            try:
                MailSettings().refuse_cleartext_login()
            except UnsafeMailSettings as error:
                fail(str(error))
        check_setup(settings)
        with _metrics_directory(settings, 1 if reload else workers):
            run_uvicorn(
                "core.app:create_served_app",
                factory=True,
                host=host,
                port=port,
                workers=None if reload else workers,
                reload=reload,
                access_log=False,  # the app logs each request itself (core.access_log)
                proxy_headers=False,  # the app applies TRUSTED_PROXIES itself (core.proxies)
                timeout_graceful_shutdown=settings.shutdown_timeout,
                # Overload: connections the kernel queues before uvicorn accepts them, and
                # uvicorn's own hard cap (a plain 503) far above MAX_IN_FLIGHT's problem+json.
                backlog=settings.backlog,
                limit_concurrency=settings.limit_concurrency,
                loop=settings.event_loop,
                log_config=UVICORN_LOG_CONFIG,
                # WebSockets (README, Real-time): pings find dead peers (within 40 s by
                # default); messages from clients are small; no compression, which costs
                # memory per idle socket.
                ws_ping_interval=settings.ws_ping_interval,
                ws_ping_timeout=settings.ws_ping_timeout,
                ws_max_size=WS_MAX_MESSAGE_BYTES,
                ws_per_message_deflate=False,
            )


def _check_workers(settings: Settings, workers: int) -> None:
    """Workers only agree on logouts, revocations and rate limits through a shared cache."""
    if workers == 1 or settings.redis_url:
        return
    problem = (
        f"--workers {workers} without REDIS_URL: each worker keeps its own cache, so a logout"
        " or revocation in one is missed by the others and rate limits multiply"
    )
    if settings.is_production:
        fail(problem)
    typer.echo(f"warning: {problem}", err=True)


@contextmanager
def _metrics_directory(settings: Settings, workers: int) -> Iterator[None]:
    """Where several workers' metrics meet: cleared at start, removed after if made here."""
    made = multiprocess.prepare(workers=workers) if serves_metrics(settings) else None
    try:
        yield
    finally:
        if made is not None:
            os.environ.pop(multiprocess.ENV, None)
            shutil.rmtree(made, ignore_errors=True)


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set `values` in the environment while serving; leave it as it was afterwards."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
