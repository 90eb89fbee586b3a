"""`trellis auth prune`: delete ended sessions, expired refresh tokens and spent links."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated

import typer

from core import open_runtime
from modules.auth.config import AuthConfig
from modules.auth.prune import Pruned, prune


def prune_command(
    older_than_days: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Keep sessions and refresh tokens that ended fewer days ago than this"
            " (default: prune_older_than_days, 7).",
        ),
    ] = None,
) -> None:
    """Delete sessions and refresh tokens ended or expired over N days ago, and spent links."""

    async def run() -> Pruned:
        async with open_runtime() as runtime, runtime.transaction() as session:
            days = older_than_days
            if days is None:
                days = runtime.settings_for(AuthConfig).prune_older_than_days
            return await prune(session=session, older_than=timedelta(days=days))

    pruned = asyncio.run(run())
    typer.echo(f"Removed {pruned.sessions} session(s)")
    typer.echo(f"Removed {pruned.refresh_tokens} refresh token(s)")
    typer.echo(f"Removed {pruned.action_tokens} action token(s)")


def build_cli() -> typer.Typer:
    """The `auth` command group."""
    app = typer.Typer(name="auth", help="Maintain login sessions and tokens.", no_args_is_help=True)
    app.command("prune")(prune_command)
    return app
