"""Wiring of the notifications module."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from core import ModuleInfo, Mount, Runtime, hookimpl
from modules.notifications import service
from modules.notifications.config import NotificationsConfig
from modules.notifications.router import router

MODULE = ModuleInfo(
    name="notifications",
    version="0.1.0",
    description="A signed-in user's account events, live over a WebSocket.",
    requires=("users", "auth"),
    settings=NotificationsConfig,
)


@hookimpl
def module_info() -> ModuleInfo:
    return MODULE


@hookimpl
def register_routers() -> list[Mount]:
    return [Mount(router)]


@hookimpl
async def session_revoked(
    runtime: Runtime, session: AsyncSession, user_id: UUID, session_ids: frozenset[UUID]
) -> None:
    service.session_revoked(
        runtime=runtime, session=session, user_id=user_id, session_ids=session_ids
    )


@hookimpl
async def user_password_changed(runtime: Runtime, session: AsyncSession, user_id: UUID) -> None:
    service.password_changed(runtime=runtime, session=session, user_id=user_id)


@hookimpl
async def user_updated(
    runtime: Runtime, session: AsyncSession, user_id: UUID, changed: frozenset[str]
) -> None:
    service.account_updated(runtime=runtime, session=session, user_id=user_id, changed=changed)
