"""Notes: creating, listing, changing and deleting the caller's own. Nothing here commits."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from core import Runtime, utcnow

from trellis_notes import events
from trellis_notes.config import NotesConfig
from trellis_notes.exceptions import NoteNotFound, TooManyNotes
from trellis_notes.models import Note
from trellis_notes.schemas import NoteCreate, NoteStats
from trellis_notes.tasks import ANNOUNCE

log = logging.getLogger(__name__)


async def count_notes(*, session: AsyncSession, owner_id: UUID) -> int:
    """How many notes `owner_id` keeps."""
    statement = select(func.count()).select_from(Note).where(col(Note.owner_id) == owner_id)
    return (await session.execute(statement)).scalar_one()


async def create_note(
    *, runtime: Runtime, session: AsyncSession, owner_id: UUID, data: NoteCreate
) -> Note:
    """Add a note for `owner_id`, who must keep fewer than `max_notes_per_user`."""
    limit = runtime.settings_for(NotesConfig).max_notes_per_user
    # A quota, not an invariant: two requests racing may both pass, leaving one note over.
    if await count_notes(session=session, owner_id=owner_id) >= limit:
        raise TooManyNotes(f"You keep {limit} notes, the most allowed; delete one first.")
    note = Note(owner_id=owner_id, title=data.title, body=data.body)
    session.add(note)
    await session.flush()  # subscribers of note_created find the row
    await events.note_created(runtime, session, note.id, owner_id)
    # Runs once this transaction commits: a rolled-back note is never announced.
    await runtime.tasks.enqueue(session, ANNOUNCE, note_id=str(note.id))
    return note


async def list_notes(
    *, session: AsyncSession, owner_id: UUID, limit: int, offset: int
) -> tuple[Sequence[Note], int]:
    """One page of the owner's notes, newest first, and how many they keep in total."""
    page = (
        select(Note)
        .where(col(Note.owner_id) == owner_id)
        .order_by(col(Note.created_at).desc(), col(Note.id).desc())
        .limit(limit)
        .offset(offset)
    )
    notes = (await session.execute(page)).scalars().all()
    return notes, await count_notes(session=session, owner_id=owner_id)


async def get_note(*, session: AsyncSession, owner_id: UUID, note_id: UUID) -> Note:
    """The note `note_id` when `owner_id` owns it; NoteNotFound otherwise, whoever owns it."""
    note = await session.get(Note, note_id)
    if note is None or note.owner_id != owner_id:
        raise NoteNotFound()
    return note


async def update_note(*, session: AsyncSession, note: Note, changes: Mapping[str, Any]) -> Note:
    """Apply validated `changes`; `updated_at` moves only when something really changed."""
    changed = {name: value for name, value in changes.items() if getattr(note, name) != value}
    if not changed:
        return note
    for name, value in changed.items():
        setattr(note, name, value)
    note.updated_at = utcnow()
    session.add(note)
    await session.flush()
    return note


async def delete_note(*, session: AsyncSession, note: Note) -> None:
    """Delete one note."""
    await session.delete(note)
    await session.flush()


async def note_stats(*, session: AsyncSession) -> NoteStats:
    """How many notes exist and how many users keep them."""
    statement = select(func.count(), func.count(func.distinct(col(Note.owner_id))))
    notes, owners = (await session.execute(statement.select_from(Note))).one()
    return NoteStats(notes=notes, owners=owners)


async def on_user_deleted(*, session: AsyncSession, user_id: UUID) -> None:
    """Record how many notes go with a deleted user: the database removes them (CASCADE)."""
    count = await count_notes(session=session, owner_id=user_id)
    if count:
        log.info("user %s is being deleted with their %d notes", user_id, count)
