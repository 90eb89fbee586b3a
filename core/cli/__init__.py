"""The `trellis` command: built-in command groups plus those the enabled modules contribute.

`app` holds the built-in commands only; `main()` adds the module commands of the current
`plugins.toml` to a fresh root, so nothing is loaded at import time.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer.core import TyperGroup

from core.cli import config, migrate, modules, openapi, serve, tasks, worker
from core.cli.context import (
    BUILT_IN,
    KNOWN_ERRORS,
    CliOptions,
    describe,
    fail,
    load_host,
    use_options,
)

__all__ = ["CliOptions", "app", "create_root", "main"]


class RootGroup(TyperGroup):
    """Turns known errors of any command, module commands included, into one line and exit 1."""

    def invoke(self, ctx: Any) -> Any:  # Any: typer types it with its private click copy
        try:
            return super().invoke(ctx)
        except KNOWN_ERRORS as error:
            fail(describe(error))


def create_root(commands: Sequence[typer.Typer] = ()) -> typer.Typer:
    """A root `trellis` app with the built-in commands and the given module commands."""
    root = typer.Typer(
        name="trellis",
        cls=RootGroup,
        no_args_is_help=True,
        help="Run and administer a Trellis backend.",
        add_completion=False,
    )
    root.callback()(use_options)
    root.command("serve")(serve.serve)
    root.command("openapi")(openapi.print_openapi)
    root.command("migrate")(migrate.migrate)
    root.add_typer(modules.app, name="modules")
    root.add_typer(config.app, name="config")
    root.add_typer(migrate.migrations, name="migrations")
    root.add_typer(tasks.app, name="tasks")
    root.command("worker")(worker.worker)
    root.command("beat")(worker.beat)
    for group in commands:
        root.add_typer(group)
    return root


app = create_root()


def main() -> None:
    """Entry point of the `trellis` console script."""
    try:
        commands = load_host().commands(built_in=BUILT_IN)
    except KNOWN_ERRORS as problem:
        # Built-in commands still run (`config check` reports the problem); others cannot.
        wanted = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)
        if wanted is not None and wanted not in BUILT_IN:
            typer.echo(f"error: module commands are unavailable: {describe(problem)}", err=True)
            raise SystemExit(1) from None
        commands = []
    create_root(commands)(prog_name="trellis")
