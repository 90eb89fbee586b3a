"""`trellis migrate` and `trellis migrations status|new`: each module's own Alembic branch."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from core import migrate as schema
from core.cli.context import fail, open_host_runtime
from core.cli.table import format_table
from core.revisions import new_revision

migrations = typer.Typer(
    name="migrations", help="Inspect and write module migrations.", no_args_is_help=True
)


def migrate(
    module: Annotated[
        str | None, typer.Option(help="Move only this module's branch (with --to).")
    ] = None,
    to: Annotated[
        str | None, typer.Option(help="With --module: head, base, -1, +1 or a revision id.")
    ] = None,
    downgrade: Annotated[
        bool, typer.Option("--downgrade", help="With --module and --to: go back to that point.")
    ] = False,
) -> None:
    """Bring every enabled module to its head (safe to run twice, or twice at once)."""
    if module is None and (to is not None or downgrade):
        fail("--to and --downgrade apply to one module: add --module NAME")
    if downgrade and to is None:
        fail("--downgrade needs an explicit --to (for example --to base)")

    async def run() -> list[str]:
        async with open_host_runtime() as (runtime, host):
            if module is None:
                return await schema.upgrade(runtime, host)
            return await schema.move_module(
                runtime, host, module, to=to or "head", downgrade=downgrade
            )

    moved = asyncio.run(run())
    if not moved:
        typer.echo("nothing to do: the schema is already there")
    else:
        typer.echo(f"{'downgraded' if downgrade else 'migrated'}: {', '.join(moved)}")


@migrations.command("status")
def status() -> None:
    """Per enabled module: the applied revision, the head, and whether it is behind."""

    async def run() -> list[schema.BranchStatus]:
        async with open_host_runtime() as (runtime, host):
            return await schema.status(runtime, host)

    rows = [
        (line.module, line.current or "-", line.head or "-", "yes" if line.behind else "no")
        for line in asyncio.run(run())
    ]
    typer.echo(format_table(("module", "current", "head", "behind"), rows))


@migrations.command("new")
def new(
    module: Annotated[str, typer.Argument(help="The enabled module whose tables changed.")],
    message: Annotated[str, typer.Option("--message", "-m", help="What the revision does.")],
    empty: Annotated[
        bool, typer.Option("--empty", help="Write a revision even without changes (data).")
    ] = False,
) -> None:
    """Autogenerate a revision for MODULE's tables only, into MODULE's migrations folder."""

    async def run() -> Path | None:
        async with open_host_runtime() as (runtime, host):
            return await new_revision(runtime, host, module, message, allow_empty=empty)

    written = asyncio.run(run())
    if written is None:
        typer.echo(f"no changes in the tables of {module!r}; nothing written (--empty to force)")
    else:
        typer.echo(f"wrote {written}")
