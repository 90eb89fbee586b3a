"""The events the auth module publishes; any module may subscribe with `@hookimpl`.

Each runs inside the transaction that caused it: a subscriber receives that session, may
write through it, and must not commit. Work outside the database (telling a browser) belongs
after the commit: `core.on_commit(session, ...)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from core import hookspec

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from core import Runtime


@hookspec
async def session_revoked(
    runtime: Runtime, session: AsyncSession, user_id: UUID, session_ids: frozenset[UUID]
) -> None:
    """Sessions of a user were revoked: their access and refresh tokens fail from now on.

    Fired for a logout, a session signed out from elsewhere, a password change, the user's
    deactivation or deletion, and a refresh token's reuse; once per user, naming the
    sessions this transaction revoked.

    Example::

        @hookimpl
        async def session_revoked(runtime, session, user_id, session_ids):
            on_commit(session, partial(tell_devices, runtime, user_id, session_ids))
    """
