"""The users module emits its events through the core, inside the request's transaction."""

from __future__ import annotations

import asyncio
from uuid import UUID

from core.host import Host
from core.runtime import Runtime
from core.settings import Settings
from core.testing import plugins
from modules.users import mark_verified
from modules.users.service import create_user

from .conftest import UsersClient
from .events import Event, EventRecorder
from .helpers import FAST, PASSWORD, USERS, admin_headers, register, token_for


async def test_every_change_is_announced(users_client: UsersClient, runtime: Runtime) -> None:
    recorder = EventRecorder()
    async with users_client(recorder=recorder) as client:
        admin = await admin_headers(runtime)
        user = await register(client, "ev@example.com")
        headers = token_for(user)
        await client.patch(f"{USERS}/me", headers=headers, json={"full_name": "Ev"})
        await client.patch(f"{USERS}/me", headers=headers, json={"full_name": "Ev"})  # no change
        await client.post(
            f"{USERS}/me/password",
            headers=headers,
            json={"current_password": PASSWORD, "new_password": "another one"},
        )
        await client.patch(f"{USERS}/{user['id']}", headers=admin, json={"is_verified": True})
        await client.patch(f"{USERS}/me", headers=headers, json={"email": "ev2@example.com"})
        await client.patch(f"{USERS}/{user['id']}", headers=admin, json={"is_active": False})
        await client.delete(f"{USERS}/{user['id']}", headers=admin)
    user_id = UUID(user["id"])
    assert recorder.of(user_id) == [
        Event("created", user_id),
        Event("updated", user_id, frozenset({"full_name"})),
        Event("password_changed", user_id),
        Event("updated", user_id, frozenset({"is_verified"})),
        # A new address is no longer verified.
        Event("updated", user_id, frozenset({"email", "is_verified"})),
        Event("updated", user_id, frozenset({"is_active"})),
        Event("deleted", user_id, row_exists=True),
    ]


async def test_refused_changes_announce_nothing(users_client: UsersClient) -> None:
    recorder = EventRecorder()
    async with users_client(recorder=recorder, admin=False) as client:
        user = await register(client, "quiet@example.com")
        await client.post(USERS, json={"email": "QUIET@example.com", "password": PASSWORD})  # 409
        await client.patch(f"{USERS}/me", headers=token_for(user), json={"is_superuser": True})
        await client.post(
            f"{USERS}/me/password",
            headers=token_for(user),
            json={"current_password": "wrong-one", "new_password": "another one"},
        )
    assert [event.name for event in recorder.events] == ["created"]


async def test_mark_verified_emits_once(settings: Settings) -> None:
    recorder = EventRecorder()
    config = plugins(["users", recorder.name], {"users": FAST})
    host = Host.load(settings.plugins_file, config=config, extra_plugins=[recorder])
    runtime = host.runtime(settings)
    try:
        async with runtime.transaction() as session:
            user = await create_user(
                runtime=runtime, session=session, email="v@example.com", password=PASSWORD
            )
        for _ in range(2):
            async with runtime.transaction() as session:
                await mark_verified(runtime=runtime, session=session, user_id=user.id)
    finally:
        await runtime.close()
    assert recorder.of(user.id) == [
        Event("created", user.id),
        Event("updated", user.id, frozenset({"is_verified"})),
    ]


async def test_racing_deletions_announce_the_deletion_once(users_client: UsersClient) -> None:
    recorder = EventRecorder()
    async with users_client(recorder=recorder) as client:
        user = await register(client, "gone@example.com")
        headers = token_for(user)
        responses = await asyncio.gather(
            *(client.delete(f"{USERS}/me", headers=headers) for _ in range(5))
        )
    statuses = sorted(response.status_code for response in responses)
    assert statuses.count(204) == 1
    assert set(statuses) <= {204, 401, 404}
    deletions = [event for event in recorder.of(UUID(user["id"])) if event.name == "deleted"]
    assert len(deletions) == 1
