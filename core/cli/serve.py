"""`trellis serve`: check the configuration, then hand over to uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from core.cli.context import check_setup, fail, load_settings
from core.mail import MailSettings, UnsafeMailSettings
from core.settings import Settings


def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
    access_log: Annotated[
        bool, typer.Option(help="Log one line per request (costs throughput).")
    ] = True,
) -> None:
    """Serve the API with uvicorn (the embedded SQLite default migrates itself at start-up)."""
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
    uvicorn.run(
        "core.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=None if reload else workers,
        reload=reload,
        access_log=access_log,
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
