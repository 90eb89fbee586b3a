"""The caller's notes under /api/v1/notes, their live events, and counts for moderators."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, WebSocket

from core import CurrentPrincipal, RuntimeDep, SessionDep, SocketPrincipal

from trellis_notes import service
from trellis_notes.dependencies import Moderator, NotesConfigDep, OwnedNote
from trellis_notes.schemas import NoteCreate, NotePublic, NotesPublic, NoteStats, NoteUpdate
from trellis_notes.sockets import serve_live

router = APIRouter(prefix="/notes", tags=["notes"])

# Documented for generated clients; the core makes every error body problem+json.
_AUTH: dict[int | str, dict[str, Any]] = {401: {"description": "Not authenticated"}}
_OWNED: dict[int | str, dict[str, Any]] = {
    **_AUTH,
    404: {"description": "No note of the caller has this id"},
}


@router.get("", responses=_AUTH)
async def list_notes(
    caller: CurrentPrincipal,
    session: SessionDep,
    config: NotesConfigDep,
    limit: Annotated[int, Query(ge=1, description="Capped at list_max_limit.")] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> NotesPublic:
    """A page of the caller's notes, newest first."""
    limit = min(limit, config.list_max_limit)
    notes, total = await service.list_notes(
        session=session, owner_id=caller.id, limit=limit, offset=offset
    )
    items = [NotePublic.model_validate(note) for note in notes]
    return NotesPublic(items=items, total=total, limit=limit, offset=offset)


@router.post(
    "", status_code=201, responses={**_AUTH, 409: {"description": "max_notes_per_user reached"}}
)
async def create_note(
    body: NoteCreate, caller: CurrentPrincipal, runtime: RuntimeDep, session: SessionDep
) -> NotePublic:
    """Create a note owned by the caller."""
    note = await service.create_note(
        runtime=runtime, session=session, owner_id=caller.id, data=body
    )
    return NotePublic.model_validate(note)


@router.websocket("/live")
async def live(websocket: WebSocket, principal: SocketPrincipal, runtime: RuntimeDep) -> None:
    """The caller's note events, one JSON object each: `note.created` (`id`, `title`).

    Connect with `new WebSocket(url, ["trellis", "bearer." + accessToken])`. The server
    closes with 4002 when the access token expires and 4003 when messages are not read fast
    enough: reconnect (with a fresh token).
    """
    await serve_live(websocket, runtime=runtime, principal=principal)


# Before /{note_id}, which would otherwise take "stats" for an id.
@router.get("/stats", responses={**_AUTH, 403: {"description": "Needs notes:moderate"}})
async def note_stats(_moderator: Moderator, session: SessionDep) -> NoteStats:
    """How many notes exist and how many users keep them (the right `notes:moderate`)."""
    return await service.note_stats(session=session)


@router.get("/{note_id}", responses=_OWNED)
async def read_note(note: OwnedNote) -> NotePublic:
    """One of the caller's notes."""
    return NotePublic.model_validate(note)


@router.patch("/{note_id}", responses=_OWNED)
async def update_note(body: NoteUpdate, note: OwnedNote, session: SessionDep) -> NotePublic:
    """Change the title or body of one of the caller's notes."""
    changes = body.model_dump(exclude_unset=True)
    updated = await service.update_note(session=session, note=note, changes=changes)
    return NotePublic.model_validate(updated)


@router.delete("/{note_id}", status_code=204, responses=_OWNED)
async def delete_note(note: OwnedNote, session: SessionDep) -> None:
    """Delete one of the caller's notes."""
    await service.delete_note(session=session, note=note)
