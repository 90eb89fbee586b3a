"""Logout, the session list, and the revocations that end sessions at once."""

from __future__ import annotations

import uuid

import httpx

from core.settings import Settings
from modules.auth import snapshots
from modules.auth.testing import Account
from modules.auth.watermark import watermark_for

from .support import (
    ME,
    PASSWORD,
    app_and_client,
    bearer,
    claims_of,
    me_status,
    refresh,
    register,
    runtime_of,
    signed_up,
    tokens,
)

SESSIONS = "/api/v1/auth/sessions"


async def test_logout_refuses_the_access_and_refresh_tokens(client: httpx.AsyncClient) -> None:
    pair = await signed_up(client, "ann@example.com")
    other = await tokens(client, "ann@example.com")
    logout = await client.post("/api/v1/auth/logout", headers=bearer(pair["access_token"]))
    assert logout.status_code == 204
    assert await me_status(client, pair["access_token"]) == 401
    assert (await refresh(client, pair["refresh_token"])).status_code == 401
    again = await client.post("/api/v1/auth/logout", headers=bearer(pair["access_token"]))
    assert again.status_code == 401
    assert await me_status(client, other["access_token"]) == 200


async def test_logout_survives_the_loss_of_the_cache(settings: Settings) -> None:
    """The database, not the cache, is the truth: an emptied cache resurrects nothing."""
    async with app_and_client(settings) as (app, client):
        pair = await signed_up(client, "ann@example.com")
        claims = claims_of(pair["access_token"])
        await client.post("/api/v1/auth/logout", headers=bearer(pair["access_token"]))
        runtime = runtime_of(app)
        epoch = watermark_for(runtime).epoch
        lost = (
            snapshots.session_key(epoch, uuid.UUID(claims["sid"])),
            f"auth:deny:{claims['jti']}",
        )
        assert await runtime.cache.get(lost[0]) is not None
        await runtime.cache.delete(*lost)
        assert await me_status(client, pair["access_token"]) == 401


async def test_sessions_lists_the_callers_active_logins(client: httpx.AsyncClient) -> None:
    await register(client, "ann@example.com")
    laptop = await tokens(client, "ann@example.com", user_agent="laptop")
    phone = await tokens(client, "ann@example.com", user_agent="phone")
    gone = await tokens(client, "ann@example.com", user_agent="old")
    await client.post("/api/v1/auth/logout", headers=bearer(gone["access_token"]))
    await signed_up(client, "bob@example.com")
    response = await client.get(SESSIONS, headers=bearer(phone["access_token"]))
    assert response.status_code == 200
    items = response.json()["items"]
    assert {item["user_agent"] for item in items} == {"laptop", "phone"}
    current = {item["user_agent"]: item["current"] for item in items}
    assert current == {"laptop": False, "phone": True}
    assert all(item["ip"] == "127.0.0.1" for item in items)
    ids = {item["id"] for item in items}
    assert ids == {claims_of(t["access_token"])["sid"] for t in (laptop, phone)}


async def test_deleting_a_session_signs_out_that_device(client: httpx.AsyncClient) -> None:
    await register(client, "ann@example.com")
    laptop = await tokens(client, "ann@example.com")
    phone = await tokens(client, "ann@example.com")
    bob = await signed_up(client, "bob@example.com")
    laptop_sid = claims_of(laptop["access_token"])["sid"]
    bobs = f"{SESSIONS}/{claims_of(bob['access_token'])['sid']}"
    # Someone else's session, an unknown id: both simply do not exist for the caller.
    assert (await client.delete(bobs, headers=bearer(phone["access_token"]))).status_code == 404
    unknown = f"{SESSIONS}/{uuid.uuid4()}"
    assert (await client.delete(unknown, headers=bearer(phone["access_token"]))).status_code == 404
    deleted = await client.delete(f"{SESSIONS}/{laptop_sid}", headers=bearer(phone["access_token"]))
    assert deleted.status_code == 204
    assert await me_status(client, laptop["access_token"]) == 401
    assert (await refresh(client, laptop["refresh_token"])).status_code == 401
    assert await me_status(client, phone["access_token"]) == 200
    assert await me_status(client, bob["access_token"]) == 200
    twice = await client.delete(f"{SESSIONS}/{laptop_sid}", headers=bearer(phone["access_token"]))
    assert twice.status_code == 404


async def test_password_change_revokes_every_session(client: httpx.AsyncClient) -> None:
    first = await signed_up(client, "ann@example.com")
    second = await tokens(client, "ann@example.com")
    changed = await client.post(
        f"{ME}/password",
        json={"current_password": PASSWORD, "new_password": "a brand new secret"},
        headers=bearer(first["access_token"]),
    )
    assert changed.status_code == 204
    for pair in (first, second):
        assert await me_status(client, pair["access_token"]) == 401
        assert (await refresh(client, pair["refresh_token"])).status_code == 401
    fresh = await tokens(client, "ann@example.com", "a brand new secret")
    assert await me_status(client, fresh["access_token"]) == 200


async def test_deleted_users_tokens_are_refused(client: httpx.AsyncClient) -> None:
    pair = await signed_up(client, "ann@example.com")
    assert (await client.delete(ME, headers=bearer(pair["access_token"]))).status_code == 204
    assert await me_status(client, pair["access_token"]) == 401
    assert (await refresh(client, pair["refresh_token"])).status_code == 401


async def test_deactivation_and_demotion_apply_at_once(
    client: httpx.AsyncClient, superuser: Account
) -> None:
    admin = superuser.headers
    ann_id = await register(client, "ann@example.com")
    ann = await tokens(client, "ann@example.com")
    ann_auth = bearer(ann["access_token"])
    user = f"/api/v1/users/{ann_id}"
    assert (await client.get("/api/v1/users", headers=ann_auth)).status_code == 403
    await client.patch(user, json={"is_superuser": True}, headers=admin)
    assert (await client.get("/api/v1/users", headers=ann_auth)).status_code == 200
    await client.patch(user, json={"is_superuser": False}, headers=admin)
    assert (await client.get("/api/v1/users", headers=ann_auth)).status_code == 403
    await client.patch(user, json={"is_active": False}, headers=admin)
    assert await me_status(client, ann["access_token"]) == 401
    assert (await refresh(client, ann["refresh_token"])).status_code == 401
    # Reactivation does not bring old sessions back; a new login works.
    await client.patch(user, json={"is_active": True}, headers=admin)
    assert await me_status(client, ann["access_token"]) == 401
    again = await tokens(client, "ann@example.com")
    assert await me_status(client, again["access_token"]) == 200


async def test_an_administrator_deleting_a_user_ends_their_sessions(
    client: httpx.AsyncClient, superuser: Account
) -> None:
    ann_id = await register(client, "ann@example.com")
    ann = await tokens(client, "ann@example.com")
    assert await me_status(client, ann["access_token"]) == 200
    deleted = await client.delete(f"/api/v1/users/{ann_id}", headers=superuser.headers)
    assert deleted.status_code == 204
    assert await me_status(client, ann["access_token"]) == 401
    assert (await refresh(client, ann["refresh_token"])).status_code == 401
