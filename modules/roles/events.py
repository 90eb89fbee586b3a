"""Publishing the roles module's events (specs in `hookspecs.py`): one typed call each."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from core import Runtime


async def user_rights_changed(
    runtime: Runtime,
    session: AsyncSession,
    user_ids: Collection[UUID],
    gained: Collection[str] = (),
    lost: Collection[str] = (),
) -> None:
    """Published only when someone is affected; with nothing gained nor lost, the role names
    they hold changed (a role without permissions), which `/users/me` shows."""
    if not user_ids:
        return
    await runtime.publish(
        "user_rights_changed",
        runtime=runtime,
        session=session,
        user_ids=frozenset(user_ids),
        gained=frozenset(gained),
        lost=frozenset(lost),
    )
