"""`trellis serve`: check the configuration, then hand over to uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from core.cli.context import load_host, load_settings


def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Serve the API with uvicorn (the embedded SQLite default migrates itself at start-up)."""
    # Fail here with one line rather than inside every uvicorn worker with a traceback.
    load_host(load_settings())
    uvicorn.run(
        "core.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=None if reload else workers,
        reload=reload,
    )
