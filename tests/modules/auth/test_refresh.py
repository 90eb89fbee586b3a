"""POST /api/v1/auth/refresh: rotation, reuse detection revoking the family, concurrency,
and the `require_verified_login` gate it shares with login.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from core.testing import ClientFactory

from .support import (
    ME,
    MODULES,
    bearer,
    claims_of,
    login,
    me_status,
    module_settings,
    refresh,
    register,
    signed_up,
    tokens,
)


async def test_refresh_rotates_the_pair(client: httpx.AsyncClient) -> None:
    first = await signed_up(client, "ann@example.com")
    response = await refresh(client, first["refresh_token"])
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert claims_of(second["access_token"])["sid"] == claims_of(first["access_token"])["sid"]
    assert await me_status(client, second["access_token"]) == 200
    third = await refresh(client, second["refresh_token"])
    assert third.status_code == 200


async def test_reusing_a_retired_token_revokes_the_family(client: httpx.AsyncClient) -> None:
    first = await signed_up(client, "ann@example.com")
    other_device = await tokens(client, "ann@example.com")
    second = (await refresh(client, first["refresh_token"])).json()
    reused = await refresh(client, first["refresh_token"])
    assert reused.status_code == 401
    assert reused.headers["www-authenticate"] == "Bearer"
    # The thief's and the owner's descendants alike are dead, access tokens included ...
    assert (await refresh(client, second["refresh_token"])).status_code == 401
    assert await me_status(client, second["access_token"]) == 401
    assert await me_status(client, first["access_token"]) == 401
    # ... while another login of the same user is a different family.
    assert await me_status(client, other_device["access_token"]) == 200
    assert (await refresh(client, other_device["refresh_token"])).status_code == 200


async def test_unknown_or_malformed_refresh_tokens_are_refused(client: httpx.AsyncClient) -> None:
    pair = await signed_up(client, "ann@example.com")
    for token in ("nope", pair["access_token"], pair["refresh_token"] + "x"):
        assert (await refresh(client, token)).status_code == 401
    missing = await client.post("/api/v1/auth/refresh", json={})
    assert missing.status_code == 422
    # None of that harmed the real token.
    assert (await refresh(client, pair["refresh_token"])).status_code == 200


async def test_concurrent_refreshes_let_exactly_one_through(client: httpx.AsyncClient) -> None:
    pair = await signed_up(client, "ann@example.com")
    responses = await asyncio.gather(*(refresh(client, pair["refresh_token"]) for _ in range(20)))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [401] * 19
    # The losers replayed a retired token: the family is revoked, the winner's pair too.
    winner = next(r for r in responses if r.status_code == 200).json()
    assert (await refresh(client, winner["refresh_token"])).status_code == 401
    assert await me_status(client, winner["access_token"]) == 401


def problem(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    return {key: body[key] for key in ("type", "title", "status", "detail")}


async def test_require_verified_login_applies_to_refresh(
    make_client: ClientFactory, with_admin: str
) -> None:
    strict = module_settings(require_verified_login=True)
    async with make_client(MODULES, strict) as client:
        admin = bearer((await tokens(client, with_admin))["access_token"])
        ann = f"/api/v1/users/{await register(client, 'ann@example.com')}"
        refused_login = await login(client, "ann@example.com")
        assert refused_login.status_code == 403

        async def set_verified(value: bool) -> None:
            changed = await client.patch(ann, json={"is_verified": value}, headers=admin)
            assert changed.status_code == 200, changed.text

        await set_verified(True)
        pair = await tokens(client, "ann@example.com")
        await set_verified(False)

        refused = await refresh(client, pair["refresh_token"])
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
        assert problem(refused) == problem(refused_login)
        # The refusal spent nothing: once verified again, the same token rotates.
        await set_verified(True)
        assert (await refresh(client, pair["refresh_token"])).status_code == 200


async def test_a_new_address_must_be_verified_before_refreshing(
    make_client: ClientFactory, with_admin: str
) -> None:
    strict = module_settings(require_verified_login=True)
    async with make_client(MODULES, strict) as client:
        admin = bearer((await tokens(client, with_admin))["access_token"])
        ann_id = await register(client, "ann@example.com")
        await client.patch(f"/api/v1/users/{ann_id}", json={"is_verified": True}, headers=admin)
        pair = await tokens(client, "ann@example.com")

        moved = await client.patch(
            ME, json={"email": "ann@elsewhere.example"}, headers=bearer(pair["access_token"])
        )
        assert moved.status_code == 200
        assert moved.json()["is_verified"] is False

        assert (await refresh(client, pair["refresh_token"])).status_code == 403
