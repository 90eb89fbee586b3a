"""POST /api/v1/auth/refresh: rotation, reuse detection revoking the family, concurrency."""

from __future__ import annotations

import asyncio

import httpx

from .support import claims_of, me_status, refresh, signed_up, tokens


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
