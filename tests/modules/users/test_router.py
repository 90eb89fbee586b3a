"""Registration and self-service through HTTP."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

import pytest

from core.runtime import Runtime
from modules.users import authenticate

from .conftest import UsersClient
from .fake_auth import bearer
from .helpers import PASSWORD, USERS, admin_headers, as_me, register, token_for

ME = f"{USERS}/me"
JSON = {"content-type": "application/json"}


def _fields(response: Any) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


async def test_register_returns_the_user_without_the_hash(users_client: UsersClient) -> None:
    async with users_client() as client:
        user = await register(client, "  Ada@Example.COM ", full_name=" Ada Lovelace ")
        me = await client.get(ME, headers=token_for(user))
    assert user["email"] == "ada@example.com"
    assert user["full_name"] == "Ada Lovelace"
    assert (user["is_active"], user["is_superuser"], user["is_verified"]) == (True, False, False)
    assert not {"password", "hashed_password"} & set(user)
    offset = datetime.fromisoformat(user["created_at"]).utcoffset()
    assert offset is not None
    assert offset.total_seconds() == 0
    assert me.status_code == 200
    assert me.json() == as_me(user)  # with what the caller holds: nothing


async def test_duplicate_email_in_any_case_is_409(users_client: UsersClient) -> None:
    async with users_client() as client:
        await register(client, "bob@example.com")
        again = await client.post(USERS, json={"email": "BOB@Example.com", "password": PASSWORD})
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["title"] == "Email already registered"


async def test_twenty_concurrent_registrations_of_one_email(
    users_client: UsersClient, runtime: Runtime
) -> None:
    spellings = ["race@example.com" if i % 2 else "RACE@example.COM" for i in range(20)]
    async with users_client() as client:
        responses = await asyncio.gather(
            *(client.post(USERS, json={"email": e, "password": PASSWORD}) for e in spellings)
        )
        listed = await client.get(
            USERS, params={"email": "race"}, headers=await admin_headers(runtime)
        )
    codes = sorted(response.status_code for response in responses)
    assert codes == [201] + [409] * 19
    assert listed.json()["total"] == 1


async def test_registration_can_be_switched_off(users_client: UsersClient) -> None:
    async with users_client({"registration_enabled": False}) as client:
        response = await client.post(USERS, json={"email": "x@example.com", "password": PASSWORD})
    assert response.status_code == 403
    assert response.json()["title"] == "Registration is closed"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "a\x00b@example.com", "password": PASSWORD}, "email"),
        ({"email": "a\ud800@example.com", "password": PASSWORD}, "email"),
        ({"email": "a@example.com", "password": "short"}, "password"),
        ({"email": "a@example.com", "password": "x" * 129}, "password"),
        ({"email": "a@example.com", "password": "nul\x00in-the-middle"}, "password"),
        ({"email": "a@example.com", "password": "lone \ud800 surrogate"}, "password"),
        ({"email": "a@example.com", "password": PASSWORD, "full_name": "a\x00b"}, "full_name"),
        ({"email": "a@example.com", "password": PASSWORD, "full_name": "\udfff"}, "full_name"),
        ({"email": "a@example.com", "password": PASSWORD, "full_name": "   "}, "full_name"),
        ({"email": "a@example.com", "password": PASSWORD, "full_name": "\ufeff "}, "full_name"),
        ({"email": "a@example.com"}, "password"),
        ({"email": "a@example.com", "password": PASSWORD, "is_superuser": True}, "is_superuser"),
    ],
)
async def test_invalid_registration_is_422_naming_the_field(
    users_client: UsersClient, body: dict[str, Any], field: str
) -> None:
    # json.dumps escapes lone surrogates as `\ud800`, as a hostile client would send them.
    raw = json.dumps(body)
    async with users_client() as client:
        response = await client.post(USERS, content=raw, headers=JSON)
        listed = await client.get(USERS, headers=bearer("0" * 32, stale=True))
    assert response.status_code == 422, response.text
    assert field in _fields(response)
    assert listed.status_code == 401  # the stale id has no row: nothing leaked in either


async def test_password_length_counts_characters_of_any_script(users_client: UsersClient) -> None:
    async with users_client() as client:
        seven_emoji = await client.post(
            USERS, json={"email": "e@example.com", "password": "🔑" * 7}
        )
        eight_emoji = await client.post(
            USERS, json={"email": "e@example.com", "password": "🔑" * 8}
        )
        long_cjk = await client.post(USERS, json={"email": "c@example.com", "password": "鍵" * 128})
    assert seven_emoji.status_code == 422  # 28 bytes, but 7 characters
    assert eight_emoji.status_code == 201
    assert long_cjk.status_code == 201  # 384 bytes, 128 characters


async def test_me_needs_a_live_account(users_client: UsersClient) -> None:
    async with users_client() as client:
        no_token = await client.get(ME)
        garbage = await client.get(ME, headers={"Authorization": "Bearer nonsense"})
        unknown = await client.get(ME, headers=bearer("0" * 32, stale=True))
    for response in (no_token, garbage, unknown):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"


async def test_patch_me_changes_name_and_email(users_client: UsersClient) -> None:
    async with users_client() as client:
        user = await register(client, "old@example.com")
        patched = await client.patch(
            ME, headers=token_for(user), json={"email": "New@Example.com", "full_name": "Neu"}
        )
        cleared = await client.patch(ME, headers=token_for(user), json={"full_name": None})
        me = await client.get(ME, headers=token_for(user))
    assert patched.status_code == 200
    assert patched.json()["email"] == "new@example.com"
    assert patched.json()["updated_at"] >= user["updated_at"]
    assert cleared.json()["full_name"] is None
    assert me.json()["email"] == "new@example.com"


@pytest.mark.parametrize(
    "body",
    [
        {"is_superuser": True},
        {"is_active": False},
        {"is_verified": True},
        {"hashed_password": "x"},
        {"id": "00000000-0000-0000-0000-000000000000"},
        {"email": None},
        {"full_name": "ok", "is_superuser": True},
    ],
)
async def test_patch_me_refuses_mass_assignment(
    users_client: UsersClient, body: dict[str, Any]
) -> None:
    async with users_client() as client:
        user = await register(client, "mallory@example.com", full_name="Mallory")
        response = await client.patch(ME, headers=token_for(user), json=body)
        me = await client.get(ME, headers=token_for(user))
    assert response.status_code == 422
    assert me.json() == as_me(user)  # nothing applied, not even the allowed field


async def test_patch_me_to_a_taken_email_is_409(users_client: UsersClient) -> None:
    async with users_client() as client:
        await register(client, "taken@example.com")
        user = await register(client, "free@example.com")
        response = await client.patch(
            ME, headers=token_for(user), json={"email": "TAKEN@example.com"}
        )
        me = await client.get(ME, headers=token_for(user))
    assert response.status_code == 409
    assert me.json()["email"] == "free@example.com"


async def test_change_password(users_client: UsersClient, runtime: Runtime) -> None:
    url = f"{ME}/password"
    async with users_client() as client:
        user = await register(client, "pw@example.com")
        headers = token_for(user)
        wrong = await client.post(
            url, headers=headers, json={"current_password": "nope-nope", "new_password": "n" * 12}
        )
        weak = await client.post(
            url, headers=headers, json={"current_password": PASSWORD, "new_password": "short"}
        )
        extra = await client.post(
            url,
            headers=headers,
            json={"current_password": PASSWORD, "new_password": "n" * 12, "user_id": "x"},
        )
        done = await client.post(
            url, headers=headers, json={"current_password": PASSWORD, "new_password": "n" * 12}
        )
    assert wrong.status_code == 400
    assert wrong.json()["title"] == "Wrong password"
    assert weak.status_code == 422
    assert _fields(weak) == ["new_password"]
    assert extra.status_code == 422
    assert done.status_code == 204
    assert done.content == b""
    async with runtime.sessions() as session:
        assert (
            await authenticate(
                runtime=runtime, session=session, email="pw@example.com", password=PASSWORD
            )
            is None
        )
        assert (
            await authenticate(
                runtime=runtime, session=session, email="PW@example.com", password="n" * 12
            )
            is not None
        )


async def test_delete_me(users_client: UsersClient, runtime: Runtime) -> None:
    async with users_client() as client:
        user = await register(client, "gone@example.com")
        deleted = await client.delete(ME, headers=token_for(user))
        # A token issued before the deletion no longer works.
        after = await client.get(ME, headers=bearer(user["id"], stale=True))
        again = await register(client, "gone@example.com")
    assert deleted.status_code == 204
    assert after.status_code == 401
    assert again["id"] != user["id"]


async def test_a_user_cannot_read_or_change_another(users_client: UsersClient) -> None:
    async with users_client() as client:
        alice = await register(client, "alice@example.com")
        bob = await register(client, "bob@example.com")
        url = f"{USERS}/{bob['id']}"
        read = await client.get(url, headers=token_for(alice))
        patch = await client.patch(url, headers=token_for(alice), json={"full_name": "pwned"})
        delete = await client.delete(url, headers=token_for(alice))
        listing = await client.get(USERS, headers=token_for(alice))
        bob_now = await client.get(ME, headers=token_for(bob))
    for response in (read, patch, delete, listing):
        assert response.status_code == 403
    assert bob_now.json() == as_me(bob)
