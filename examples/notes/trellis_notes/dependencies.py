"""The caller's own note from the path, the module's settings, and who may moderate."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends

from core import CurrentPrincipal, Principal, SessionDep, module_settings, require

from trellis_notes import service
from trellis_notes.config import NotesConfig
from trellis_notes.models import Note

NotesConfigDep = Annotated[NotesConfig, Depends(module_settings(NotesConfig))]
# Declared in plugin.py (`register_permissions`); superusers hold it, others through a role.
MODERATE = "notes:moderate"
Moderator = Annotated[Principal, Depends(require(MODERATE))]


async def owned_note(note_id: UUID, caller: CurrentPrincipal, session: SessionDep) -> Note:
    """The caller's note, or 404: someone else's note answers exactly like a missing one."""
    return await service.get_note(session=session, owner_id=caller.id, note_id=note_id)


OwnedNote = Annotated[Note, Depends(owned_note)]
