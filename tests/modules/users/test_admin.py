"""Administration of any user, and the last-superuser guard, through HTTP."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import pytest

from core.runtime import Runtime

from .conftest import UsersClient
from .fake_auth import bearer
from .helpers import ADMIN_EMAIL, USERS, admin_headers, promote, register, token_for


async def test_list_paginates_and_filters(users_client: UsersClient, runtime: Runtime) -> None:
    async with users_client({"list_max_limit": 3}) as client:
        admin = await admin_headers(runtime)
        for name in ("ann", "bert", "cleo", "dora_x"):
            await register(client, f"{name}@example.com")
        first = await client.get(USERS, headers=admin, params={"limit": 2})
        second = await client.get(USERS, headers=admin, params={"limit": 2, "offset": 2})
        past_end = await client.get(USERS, headers=admin, params={"limit": 2, "offset": 9})
        capped = await client.get(USERS, headers=admin, params={"limit": 1000})
        by_email = await client.get(USERS, headers=admin, params={"email": "ER"})
        literal = await client.get(USERS, headers=admin, params={"email": "a_x"})
        wildcard = await client.get(USERS, headers=admin, params={"email": "%"})
        bad_limit = await client.get(USERS, headers=admin, params={"limit": 0})
        bad_offset = await client.get(USERS, headers=admin, params={"offset": -1})
        nul = await client.get(USERS, headers=admin, params={"email": "a\x00"})
    page = first.json()
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 0)
    assert [u["email"] for u in page["items"]] == [ADMIN_EMAIL, "ann@example.com"]
    assert [u["email"] for u in second.json()["items"]] == ["bert@example.com", "cleo@example.com"]
    assert (past_end.json()["items"], past_end.json()["total"]) == ([], 5)
    assert capped.json()["limit"] == 3
    assert len(capped.json()["items"]) == 3
    assert [u["email"] for u in by_email.json()["items"]] == ["bert@example.com"]
    assert [u["email"] for u in literal.json()["items"]] == ["dora_x@example.com"]
    assert wildcard.json()["total"] == 0  # `%` is matched literally
    for response in (bad_limit, bad_offset, nul):
        assert response.status_code == 422


async def test_list_filters_on_active(users_client: UsersClient, runtime: Runtime) -> None:
    async with users_client() as client:
        admin = await admin_headers(runtime)
        sleepy = await register(client, "sleepy@example.com")
        await client.patch(f"{USERS}/{sleepy['id']}", headers=admin, json={"is_active": False})
        inactive = await client.get(USERS, headers=admin, params={"is_active": "false"})
        active = await client.get(USERS, headers=admin, params={"is_active": "true"})
    assert [u["email"] for u in inactive.json()["items"]] == ["sleepy@example.com"]
    assert active.json()["total"] == 1


async def test_admin_reads_updates_and_deletes_a_user(
    users_client: UsersClient, runtime: Runtime
) -> None:
    async with users_client() as client:
        admin = await admin_headers(runtime)
        user = await register(client, "target@example.com")
        url = f"{USERS}/{user['id']}"
        read = await client.get(url, headers=admin)
        patched = await client.patch(
            url,
            headers=admin,
            json={"is_superuser": True, "is_verified": True, "full_name": "T", "is_active": False},
        )
        reread = await client.get(url, headers=admin)
        # The deactivated user's own token stops working at once.
        own = await client.get(f"{USERS}/me", headers=bearer(user["id"], stale=True))
        deleted = await client.delete(url, headers=admin)
        gone = await client.get(url, headers=admin)
        gone_patch = await client.patch(url, headers=admin, json={"full_name": "x"})
        gone_delete = await client.delete(url, headers=admin)
    assert read.json() == user
    assert patched.status_code == 200
    assert reread.json() == patched.json()
    assert (reread.json()["is_superuser"], reread.json()["is_verified"]) == (True, True)
    assert reread.json()["is_active"] is False
    assert own.status_code == 401
    assert deleted.status_code == 204
    for response in (gone, gone_patch, gone_delete):
        assert response.status_code == 404
        assert response.json()["title"] == "User not found"


async def test_ids_are_validated_after_permissions(
    users_client: UsersClient, runtime: Runtime
) -> None:
    async with users_client() as client:
        admin = await admin_headers(runtime)
        user = await register(client, "plain@example.com")
        as_admin = await client.get(f"{USERS}/not-a-uuid", headers=admin)
        as_user = await client.get(f"{USERS}/not-a-uuid", headers=token_for(user))
        unknown_as_user = await client.get(f"{USERS}/{uuid4()}", headers=token_for(user))
        anonymous = await client.get(f"{USERS}/{uuid4()}")
    assert as_admin.status_code == 422
    assert as_admin.json()["errors"][0]["field"] == "user_id"
    assert as_user.status_code == 403
    assert unknown_as_user.status_code == 403
    assert anonymous.status_code == 401


async def test_admin_patch_refuses_unknown_fields_and_nulls(
    users_client: UsersClient, runtime: Runtime
) -> None:
    async with users_client() as client:
        admin = await admin_headers(runtime)
        user = await register(client, "x@example.com")
        url = f"{USERS}/{user['id']}"
        unknown = await client.patch(url, headers=admin, json={"hashed_password": "x"})
        null = await client.patch(url, headers=admin, json={"is_active": None})
        taken = await client.patch(url, headers=admin, json={"email": ADMIN_EMAIL.upper()})
        after = await client.get(url, headers=admin)
    assert unknown.status_code == 422
    assert null.status_code == 422
    assert taken.status_code == 409
    assert after.json() == user


async def test_a_stale_superuser_token_is_not_trusted(
    users_client: UsersClient, runtime: Runtime
) -> None:
    async with users_client() as client:
        user = await register(client, "former@example.com")
        response = await client.get(USERS, headers=bearer(user["id"], stale=True))
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("DELETE", "/me", None),
        ("DELETE", "/{id}", None),
        ("PATCH", "/{id}", {"is_active": False}),
        ("PATCH", "/{id}", {"is_superuser": False}),
    ],
)
async def test_the_last_active_superuser_cannot_remove_themself(
    users_client: UsersClient, runtime: Runtime, method: str, path: str, body: object
) -> None:
    async with users_client() as client:
        admin = await admin_headers(runtime)
        me = (await client.get(f"{USERS}/me", headers=admin)).json()
        url = USERS + path.format(id=me["id"])
        refused = await client.request(method, url, headers=admin, json=body)
        still = await client.get(f"{USERS}/me", headers=admin)
    assert refused.status_code == 409
    assert refused.json()["title"] == "Last active superuser"
    assert still.json() == me


async def test_with_a_second_superuser_one_may_step_down(
    users_client: UsersClient, runtime: Runtime
) -> None:
    async with users_client() as client:
        admin = await admin_headers(runtime)
        other = await promote(client, admin, "deputy@example.com")
        deputy = token_for(other)
        me = (await client.get(f"{USERS}/me", headers=admin)).json()
        demoted = await client.patch(
            f"{USERS}/{me['id']}", headers=admin, json={"is_superuser": False}
        )
        # Now the deputy is the last one.
        refused = await client.delete(f"{USERS}/me", headers=deputy)
        former = await client.get(USERS, headers=admin)
    assert demoted.status_code == 200
    assert demoted.json()["is_superuser"] is False
    assert refused.status_code == 409
    assert former.status_code == 403


async def test_two_superusers_stepping_down_at_once_leave_one(
    users_client: UsersClient, runtime: Runtime
) -> None:
    async with users_client() as client:
        admin = await admin_headers(runtime)
        other = await promote(client, admin, "deputy@example.com")
        me = (await client.get(f"{USERS}/me", headers=admin)).json()
        results = await asyncio.gather(
            client.patch(f"{USERS}/{me['id']}", headers=admin, json={"is_superuser": False}),
            client.patch(
                f"{USERS}/{other['id']}", headers=token_for(other), json={"is_superuser": False}
            ),
        )
        remaining = await client.get(f"{USERS}/me", headers=admin)
        remaining_other = await client.get(f"{USERS}/me", headers=token_for(other))
    assert sorted(r.status_code for r in results) == [200, 409]
    flags = [remaining.json()["is_superuser"], remaining_other.json()["is_superuser"]]
    assert sorted(flags) == [False, True]
