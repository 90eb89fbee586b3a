"""The events the users module publishes; any module may subscribe with `@hookimpl`.

Each runs inside the transaction of the request that caused it: a subscriber receives that
session, may write through it, and must not commit. Subscribers are awaited one module after
the other in dependency order, and only those of enabled modules run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from core import hookspec

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from core import Runtime


@hookspec
async def user_created(runtime: Runtime, session: AsyncSession, user_id: UUID) -> None:
    """A user account was created.

    Example::

        @hookimpl
        async def user_created(runtime, session, user_id):
            await send_welcome(runtime, user_id)
    """


@hookspec
async def user_updated(
    runtime: Runtime, session: AsyncSession, user_id: UUID, changed: frozenset[str]
) -> None:
    """A user's fields changed; `changed` names them (e.g. `{"email", "is_active"}`).

    Example::

        @hookimpl
        async def user_updated(runtime, session, user_id, changed):
            if "is_active" in changed:
                await revoke_sessions(runtime, session, user_id)
    """


@hookspec
async def user_deleted(runtime: Runtime, session: AsyncSession, user_id: UUID) -> None:
    """A user account is being deleted (the row still exists inside this transaction).

    Example::

        @hookimpl
        async def user_deleted(runtime, session, user_id):
            await delete_posts_of(session, user_id)
    """


@hookspec
async def user_password_changed(runtime: Runtime, session: AsyncSession, user_id: UUID) -> None:
    """A user's password changed (by themself, an administrator, or a reset).

    Example::

        @hookimpl
        async def user_password_changed(runtime, session, user_id):
            await revoke_sessions(runtime, session, user_id)
    """
