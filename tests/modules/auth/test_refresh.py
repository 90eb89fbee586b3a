"""POST /api/v1/auth/refresh: rotation, reuse detection revoking the family, concurrency,
and the `require_verified_login` gate it shares with login.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

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


# Tiny, so a test can wait it out; reuse after the window is what revokes a family.
GRACE = 0.3
# Twenty refreshes at once on a loaded CI machine can take longer than GRACE in all.
ROOMY_GRACE = 2.0


@pytest.fixture
async def short_grace(make_client: ClientFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(MODULES, module_settings(refresh_reuse_grace_seconds=GRACE)) as c:
        yield c


@pytest.fixture
async def roomy_grace(make_client: ClientFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(MODULES, module_settings(refresh_reuse_grace_seconds=ROOMY_GRACE)) as c:
        yield c


async def test_reusing_a_retired_token_revokes_the_family(
    short_grace: httpx.AsyncClient,
) -> None:
    client = short_grace
    first = await signed_up(client, "ann@example.com")
    other_device = await tokens(client, "ann@example.com")
    second = (await refresh(client, first["refresh_token"])).json()
    await asyncio.sleep(GRACE + 0.1)
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


async def test_a_repeat_within_the_grace_window_gets_the_same_successor(
    client: httpx.AsyncClient,
) -> None:
    """A client that lost the response retries: it gets the pair's successor again."""
    first = await signed_up(client, "ann@example.com")
    rotated = (await refresh(client, first["refresh_token"])).json()
    again = await refresh(client, first["refresh_token"])
    assert again.status_code == 200
    assert again.headers["cache-control"] == "no-store"
    assert again.json()["refresh_token"] == rotated["refresh_token"]
    assert again.json()["access_token"] != rotated["access_token"]
    for pair in (rotated, again.json()):
        assert await me_status(client, pair["access_token"]) == 200
    # The successor is still one token of one family: it rotates once more, as usual.
    assert (await refresh(client, rotated["refresh_token"])).status_code == 200


async def test_unknown_or_malformed_refresh_tokens_are_refused(client: httpx.AsyncClient) -> None:
    pair = await signed_up(client, "ann@example.com")
    for token in ("nope", pair["access_token"], pair["refresh_token"] + "x"):
        assert (await refresh(client, token)).status_code == 401
    missing = await client.post("/api/v1/auth/refresh", json={})
    assert missing.status_code == 422
    # None of that harmed the real token.
    assert (await refresh(client, pair["refresh_token"])).status_code == 200


async def test_concurrent_refreshes_all_get_a_working_session(
    roomy_grace: httpx.AsyncClient,
) -> None:
    """Twenty tabs refresh one token at once: one rotates it, the others are within the grace
    window and get the same successor; every access token works. Reuse after it still kills."""
    client = roomy_grace
    pair = await signed_up(client, "ann@example.com")
    responses = await asyncio.gather(*(refresh(client, pair["refresh_token"]) for _ in range(20)))
    assert [response.status_code for response in responses] == [200] * 20
    bodies = [response.json() for response in responses]
    assert len({body["refresh_token"] for body in bodies}) == 1
    assert len({body["access_token"] for body in bodies}) == 20
    sid = claims_of(pair["access_token"])["sid"]
    for body in bodies:
        assert claims_of(body["access_token"])["sid"] == sid
        assert await me_status(client, body["access_token"]) == 200
    successor = bodies[0]["refresh_token"]
    assert (await refresh(client, successor)).status_code == 200

    await asyncio.sleep(ROOMY_GRACE + 0.1)
    assert (await refresh(client, pair["refresh_token"])).status_code == 401
    for body in bodies:
        assert await me_status(client, body["access_token"]) == 401
    assert (await refresh(client, successor)).status_code == 401


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
