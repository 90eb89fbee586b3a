"""`trellis tasks list|retry`: the background tasks' outbox, dead letters first."""

from __future__ import annotations

import asyncio
from typing import Annotated
from uuid import UUID

import typer

from core.cli.context import fail, open_runtime
from core.cli.table import format_table
from core.tasks.letters import list_tasks, retry
from core.tasks.table import Status

app = typer.Typer(name="tasks", help="List and retry background tasks.", no_args_is_help=True)


@app.command("list")
def list_command(
    status: Annotated[Status, typer.Option(help="Which tasks to show.")] = Status.dead,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 100,
) -> None:
    """Tasks of one status (dead letters by default): id, name, attempts, last error."""

    async def run() -> list[tuple[str, ...]]:
        async with open_runtime() as runtime, runtime.transaction() as session:
            rows = await list_tasks(session, status, limit=limit)
        return [
            (str(r.id), r.name, str(r.attempts), r.updated_at.isoformat(), r.last_error or "")
            for r in rows
        ]

    rows = asyncio.run(run())
    if not rows:
        typer.echo(f"no {status.value} tasks")
        return
    typer.echo(format_table(("id", "name", "attempts", "updated", "last error"), rows))


@app.command("retry")
def retry_command(
    task_id: Annotated[UUID | None, typer.Argument(help="The dead letter to run again.")] = None,
    every: Annotated[bool, typer.Option("--all", help="Every dead letter.")] = False,
) -> None:
    """Send a dead letter (or `--all`) back to the queue, its attempts reset."""
    if (task_id is None) == (not every):
        fail("name one dead letter's id, or --all")

    async def run() -> list[UUID]:
        async with open_runtime() as runtime, runtime.transaction() as session:
            return await retry(session, None if every else task_id)

    retried = asyncio.run(run())
    if task_id is not None and not retried:
        fail(f"no dead letter has the id {task_id}")
    typer.echo(f"retried: {len(retried)} task(s)")
