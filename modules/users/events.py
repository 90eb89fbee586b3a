"""Publishing the users module's events (specs in `hookspecs.py`): one typed call each."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from core import Runtime


async def user_created(runtime: Runtime, session: AsyncSession, user_id: UUID) -> None:
    await runtime.publish("user_created", runtime=runtime, session=session, user_id=user_id)


async def user_updated(
    runtime: Runtime, session: AsyncSession, user_id: UUID, changed: frozenset[str]
) -> None:
    await runtime.publish(
        "user_updated", runtime=runtime, session=session, user_id=user_id, changed=changed
    )


async def user_deleted(runtime: Runtime, session: AsyncSession, user_id: UUID) -> None:
    await runtime.publish("user_deleted", runtime=runtime, session=session, user_id=user_id)


async def user_password_changed(runtime: Runtime, session: AsyncSession, user_id: UUID) -> None:
    await runtime.publish(
        "user_password_changed", runtime=runtime, session=session, user_id=user_id
    )
