"""The outbox's state changes, each one guarded statement so racing processes stay correct.

Duplicated deliveries are expected (at-least-once): `claim` lets only one of them run an
attempt, and `finish` / `fail` only touch the row while that attempt still holds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from core.tasks.table import ERROR_LENGTH, Status, task_table
from core.timestamps import utcnow

SWEEP_BATCH = 100
t = task_table.c


@dataclass(frozen=True)
class Claimed:
    """An attempt this process now holds: run it, then `finish` or `fail` it."""

    id: UUID
    name: str
    arguments: dict[str, Any]
    attempt: int  # 1 for the first


def due(now: datetime) -> Any:
    """Rows a sweep sends: pending ones whose time has come, queued or running ones whose lease
    ran out."""
    return or_(
        and_(t.status == Status.pending, t.run_after <= now),
        and_(t.status.in_((Status.queued, Status.running)), t.lease_until < now),
    )


async def take_due(session: AsyncSession, *, lease: timedelta) -> list[UUID]:
    """Mark due rows queued for `lease` and return them: pending ones whose time has come,
    and queued or running ones whose lease ran out (a lost message, a crashed worker)."""
    now = utcnow()
    found = await session.execute(
        select(t.id)
        .where(due(now))
        .order_by(t.run_after)
        .limit(SWEEP_BATCH)
        .with_for_update(skip_locked=True)  # PostgreSQL: relays of other instances skip them
    )
    ids = list(found.scalars())
    if ids:
        await session.execute(
            update(task_table)
            .where(t.id.in_(ids))
            .values(status=Status.queued, lease_until=now + lease, updated_at=now)
        )
    return ids


async def release(session: AsyncSession, task_id: UUID) -> None:
    """A queued row that could not be handed over is due again at the next sweep."""
    now = utcnow()
    await session.execute(
        update(task_table)
        .where(t.id == task_id, t.status == Status.queued)
        .values(status=Status.pending, run_after=now, lease_until=None, updated_at=now)
    )


async def claim(session: AsyncSession, task_id: UUID, *, lease: timedelta) -> Claimed | None:
    """Start an attempt of `task_id`, or None when it is not ours to run (done, dead, not due,
    or another attempt holds an unexpired lease)."""
    now = utcnow()
    claimable = and_(
        t.id == task_id,
        or_(
            t.status == Status.queued,
            and_(t.status == Status.pending, t.run_after <= now),
            and_(t.status == Status.running, t.lease_until < now),
        ),
    )
    result = await session.execute(
        update(task_table)
        .where(claimable)
        .values(
            status=Status.running,
            attempts=t.attempts + 1,
            lease_until=now + lease,
            updated_at=now,
        )
        .returning(t.name, t.arguments, t.attempts)
    )
    row = result.first()
    if row is None:
        return None
    return Claimed(task_id, row.name, dict(row.arguments), row.attempts)


def _held(claimed: Claimed) -> Any:
    return and_(t.id == claimed.id, t.status == Status.running, t.attempts == claimed.attempt)


async def finish(session: AsyncSession, claimed: Claimed) -> bool:
    """Mark the attempt done; False when it lost the row meanwhile (its writes must roll back)."""
    now = utcnow()
    result = await session.execute(
        update(task_table)
        .where(_held(claimed))
        .values(status=Status.done, lease_until=None, last_error=None, updated_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def fail(
    session: AsyncSession, claimed: Claimed, *, error: str, retry_in: float | None
) -> None:
    """Record the error; due again in `retry_in` seconds, or dead when that is None."""
    now = utcnow()
    values: dict[str, Any] = {"last_error": error[:ERROR_LENGTH], "updated_at": now}
    if retry_in is None:
        values.update(status=Status.dead, lease_until=None)
    else:
        values.update(
            status=Status.pending, run_after=now + timedelta(seconds=retry_in), lease_until=None
        )
    await session.execute(update(task_table).where(_held(claimed)).values(**values))


async def add_once(session: AsyncSession, task_id: UUID, name: str) -> bool:
    """Insert a pending periodic run under its deterministic id; False if it exists already."""
    now = utcnow()
    row = {
        "id": task_id,
        "name": name,
        "arguments": {},
        "status": Status.pending,
        "attempts": 0,
        "run_after": now,
        "created_at": now,
        "updated_at": now,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = await session.execute(insert(task_table).values(row).on_conflict_do_nothing())
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def prune_done(session: AsyncSession, *, older_than: timedelta) -> None:
    """Forget finished runs after a while; dead letters stay until an operator acts."""
    cutoff = utcnow() - older_than
    await session.execute(delete(task_table).where(t.status == Status.done, t.updated_at < cutoff))
