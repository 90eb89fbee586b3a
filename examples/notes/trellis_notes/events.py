"""Publishing the notes module's events (specs in `hookspecs.py`): one typed call each."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from core import Runtime


async def note_created(
    runtime: Runtime, session: AsyncSession, note_id: UUID, owner_id: UUID
) -> None:
    await runtime.publish(
        "note_created", runtime=runtime, session=session, note_id=note_id, owner_id=owner_id
    )
