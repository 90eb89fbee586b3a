"""The events the notes module publishes; any module may subscribe with `@hookimpl`.

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
async def note_created(
    runtime: Runtime, session: AsyncSession, note_id: UUID, owner_id: UUID
) -> None:
    """A note was created (its row exists inside this transaction).

    Example::

        @hookimpl
        async def note_created(runtime, session, note_id, owner_id):
            await index_note(session, note_id)
    """
