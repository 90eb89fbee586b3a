"""Publishing the auth module's events (specs in `hookspecs.py`): one typed call each."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from core import Runtime


async def session_revoked(
    runtime: Runtime, session: AsyncSession, user_id: UUID, session_ids: frozenset[UUID]
) -> None:
    await runtime.publish(
        "session_revoked",
        runtime=runtime,
        session=session,
        user_id=user_id,
        session_ids=session_ids,
    )
