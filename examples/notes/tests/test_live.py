"""`notes.announce` and `/api/v1/notes/live`: a new note reaches its owner's open sockets."""

from __future__ import annotations

from uuid import uuid4

import pytest

from core.testing import Refused, Tasks, TrellisClient
from modules.auth.testing import Account, sign_up

NOTES = "/api/v1/notes"
LIVE = "/api/v1/notes/live"


async def test_a_new_note_is_announced_on_its_owners_socket(
    client: TrellisClient, user: Account, tasks: Tasks
) -> None:
    async with client.websocket(LIVE, token=user.access_token) as socket:
        assert socket.subprotocol == "trellis"
        response = await client.post(NOTES, json={"title": "Milk"}, headers=user.headers)
        note_id = response.json()["id"]
        [row] = await tasks.rows("notes.announce")  # enqueued by the request
        assert row.arguments == {"note_id": note_id}
        await tasks.settle()  # and run after it
        event = await socket.receive_json()
        assert event == {"type": "note.created", "id": note_id, "title": "Milk"}


async def test_a_socket_hears_only_its_owners_notes(
    client: TrellisClient, user: Account, tasks: Tasks
) -> None:
    other = await sign_up(client)
    async with client.websocket(LIVE, token=user.access_token) as socket:
        await client.post(NOTES, json={"title": "not yours"}, headers=other.headers)
        await tasks.settle()
        await client.post(NOTES, json={"title": "yours"}, headers=user.headers)
        await tasks.settle()
        assert (await socket.receive_json())["title"] == "yours"


async def test_a_note_gone_before_its_task_runs_announces_nothing(
    client: TrellisClient, user: Account, tasks: Tasks
) -> None:
    async with client.websocket(LIVE, token=user.access_token) as socket:
        async with client.runtime.transaction() as session:
            await client.runtime.tasks.enqueue(session, "notes.announce", note_id=str(uuid4()))
        await tasks.settle()
        await client.post(NOTES, json={"title": "real"}, headers=user.headers)
        await tasks.settle()
        assert (await socket.receive_json())["title"] == "real"
    [gone, _] = await tasks.rows("notes.announce")
    assert gone.status == "done"


async def test_a_socket_without_a_token_is_refused(client: TrellisClient) -> None:
    with pytest.raises(Refused) as refused:
        async with client.websocket(LIVE, subprotocols=["trellis"]):
            pass
    assert refused.value.status == 401
    assert refused.value.headers["content-type"] == "application/problem+json"
