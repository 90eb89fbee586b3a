"""Background tasks of the notes module: telling the owner's open sockets about a new note."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from core import Runtime, Task

from trellis_notes.models import Note

ANNOUNCE = "notes.announce"


def channel_of(owner_id: UUID) -> str:
    """The pub/sub channel of one user's `/notes/live` sockets."""
    return f"notes:user:{owner_id}"


async def announce(runtime: Runtime, session: AsyncSession, *, note_id: str) -> None:
    """Publish `note.created` to the owner's sockets; a note deleted since announces nothing."""
    note = await session.get(Note, UUID(note_id))
    if note is None:
        return
    message = {"type": "note.created", "id": note_id, "title": note.title}
    await runtime.pubsub.publish(channel_of(note.owner_id), message)


TASKS = [Task(ANNOUNCE, run=announce, retries=3)]
