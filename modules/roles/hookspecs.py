"""The events the roles module publishes; any module may subscribe with `@hookimpl`.

Each runs inside the transaction of the request that caused it: a subscriber receives that
session, may write through it, and must not commit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from core import hookspec

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from core import Runtime


@hookspec
async def user_rights_changed(
    runtime: Runtime,
    session: AsyncSession,
    user_ids: frozenset[UUID],
    gained: frozenset[str],
    lost: frozenset[str],
) -> None:
    """What these users may do or the roles they hold changed: a role granted, revoked, edited.

    Also published for a role deleted. `gained` names the permissions any of them may have
    gained, `lost` those any of them may have lost (a user holding one through another role
    keeps it); both empty, only the names of the roles they hold changed (a role without
    permissions). `runtime.rights_of` through `session` answers what each holds now. The
    auth module rewrites the rights and claims cached with the users' sessions, so their
    tokens change at the next request.

    Example::

        @hookimpl
        async def user_rights_changed(runtime, session, user_ids, gained, lost):
            await audit(session, "rights changed", user_ids, gained=gained, lost=lost)
    """
