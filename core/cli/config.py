"""`trellis config check`: validate settings, `plugins.toml` and every module's settings."""

from __future__ import annotations

import typer

from core.cli.context import check_setup
from core.references import dangling_references

app = typer.Typer(name="config", help="Inspect the configuration.", no_args_is_help=True)


@app.command("check")
def check() -> None:
    """Print OK, or the first problem on one line and exit 1 (secrets are never printed).

    Warnings (a disabled module whose rows would block deletes elsewhere) go to stderr, one
    line each, and leave the exit code at 0.
    """
    host = check_setup()
    for warning in dangling_references(host.installed, host.names):
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(f"OK: {len(host.names)} modules enabled ({', '.join(host.names) or 'none'})")
