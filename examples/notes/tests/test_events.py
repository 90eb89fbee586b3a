"""What notes publishes (`note_created`) and how a user's deletion takes their notes along."""

from __future__ import annotations

import logging
from collections.abc import Callable
from uuid import UUID

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from core.testing import ClientFactory, EventRecorder, TrellisClient
from modules.auth.testing import Account, sign_up

from trellis_notes.models import Note

MODULES = ["users", "auth", "notes"]
FAST_HASHING = {"users": {"bcrypt_rounds": 4}}
NOTES = "/api/v1/notes"


async def notes_of(client: TrellisClient, owner_id: UUID) -> int:
    async with client.runtime.transaction() as session:
        statement = select(func.count()).select_from(Note).where(col(Note.owner_id) == owner_id)
        return (await session.execute(statement)).scalar_one()


async def test_creating_a_note_publishes_note_created(
    make_client: ClientFactory, events: Callable[[str], EventRecorder]
) -> None:
    created = events("note_created")  # before the app is built
    async with make_client(MODULES, FAST_HASHING) as client:
        ann = await sign_up(client)
        response = await client.post(NOTES, json={"title": "Milk"}, headers=ann.headers)
    delivered = await created.wait()
    assert dict(delivered) == {"note_id": UUID(response.json()["id"]), "owner_id": ann.id}


async def test_deleting_a_user_deletes_their_notes_only(
    client: TrellisClient, user: Account, caplog: pytest.LogCaptureFixture
) -> None:
    other = await sign_up(client)
    for owner in (user, user, other):
        await client.post(NOTES, json={"title": "a note"}, headers=owner.headers)
    with caplog.at_level(logging.INFO, logger="trellis_notes"):
        deleted = await client.delete("/api/v1/users/me", headers=user.headers)
    assert deleted.status_code == 204
    assert await notes_of(client, user.id) == 0
    assert await notes_of(client, other.id) == 1
    assert f"user {user.id} is being deleted with their 2 notes" in caplog.messages


async def test_a_disabled_notes_module_never_blocks_deleting_a_user(
    make_client: ClientFactory,
) -> None:
    async with make_client(MODULES, FAST_HASHING) as client:
        ann = await sign_up(client)
        await client.post(NOTES, json={"title": "a note"}, headers=ann.headers)
    async with make_client(["users", "auth"], FAST_HASHING) as client:
        deleted = await client.delete("/api/v1/users/me", headers=ann.headers)
        assert deleted.status_code == 204
        assert await notes_of(client, ann.id) == 0  # ON DELETE CASCADE, no code of ours
