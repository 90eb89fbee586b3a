"""What `trellis tasks` shows and does: list rows by status, send dead letters back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.tasks.table import Status, task_table
from core.timestamps import utcnow

t = task_table.c


async def list_tasks(
    session: AsyncSession, status: Status, *, limit: int
) -> Sequence[Any]:  # rows: .id, .name, .attempts, .last_error, .updated_at
    """The newest rows of `status`: id, name, attempts, last error, last change (no arguments)."""
    found = await session.execute(
        select(t.id, t.name, t.attempts, t.last_error, t.updated_at)
        .where(t.status == status)
        .order_by(t.updated_at.desc())
        .limit(limit)
    )
    return found.all()


async def retry(session: AsyncSession, task_id: UUID | None) -> list[UUID]:
    """Put one dead letter (or all, with None) back to pending, attempts reset; their ids."""
    now = utcnow()
    chosen = t.status == Status.dead
    if task_id is not None:
        chosen = chosen & (t.id == task_id)
    result = await session.execute(
        update(task_table)
        .where(chosen)
        .values(status=Status.pending, attempts=0, run_after=now, lease_until=None, updated_at=now)
        .returning(t.id)
    )
    return list(result.scalars())
