"""`trellis config check`: validate settings, `plugins.toml` and every module's settings."""

from __future__ import annotations

import typer

from core.cli.context import load_host, load_settings

app = typer.Typer(name="config", help="Inspect the configuration.", no_args_is_help=True)


@app.command("check")
def check() -> None:
    """Print OK, or the first problem on one line and exit 1 (secrets are never printed)."""
    host = load_host(load_settings())
    # Contributions that must be unique across modules are only checked when collected.
    host.table_names()
    host.health_checks()
    host.commands()
    typer.echo(f"OK: {len(host.names)} modules enabled ({', '.join(host.names) or 'none'})")
