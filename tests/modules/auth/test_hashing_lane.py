"""With every hashing slot taken, a login, a registration or a password change gets a fast 503
problem+json with Retry-After (after the bounded wait), and changes nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from core.shedding import Gate
from core.testing import ClientFactory, TrellisClient
from modules.users.passwords import lane_for

from .support import ME, MODULES, PASSWORD, bearer, login, register, tokens

LANE = {"users": {"bcrypt_rounds": 4, "hash_concurrency": 1, "hash_wait_seconds": 0.05}}


@pytest.fixture
async def client(make_client: ClientFactory) -> AsyncIterator[TrellisClient]:
    quiet = {"rate_limit_disabled": True}
    async with make_client(MODULES, LANE, settings_override=quiet) as client:
        yield client


def assert_busy(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "1"
    assert response.json()["status"] == 503


async def held(client: TrellisClient) -> Gate:
    """The app's only hashing slot, taken as a long bcrypt check would hold it."""
    lane = lane_for(client.runtime)
    assert lane.limit == 1
    assert await lane.enter()
    return lane


async def test_a_full_lane_refuses_a_login_and_opens_no_session(client: TrellisClient) -> None:
    await register(client, "ann@example.com")
    access = (await tokens(client, "ann@example.com"))["access_token"]
    lane = await held(client)
    assert_busy(await login(client, "ann@example.com"))
    lane.leave()

    sessions = await client.get("/api/v1/auth/sessions", headers=bearer(access))
    assert len(sessions.json()["items"]) == 1  # the refused login opened none
    assert (await login(client, "ann@example.com")).status_code == 200


async def test_a_full_lane_refuses_a_registration_and_stores_nothing(
    client: TrellisClient,
) -> None:
    lane = await held(client)
    form = {"email": "bob@example.com", "password": PASSWORD}
    assert_busy(await client.post("/api/v1/users", json=form))
    lane.leave()
    assert (await login(client, "bob@example.com")).status_code == 401  # no such account
    await register(client, "bob@example.com")  # the address is still free


async def test_a_full_lane_refuses_a_password_change_and_keeps_the_old_one(
    client: TrellisClient,
) -> None:
    await register(client, "ann@example.com")
    access = (await tokens(client, "ann@example.com"))["access_token"]
    lane = await held(client)
    change = {"current_password": PASSWORD, "new_password": "a brand new passphrase"}
    assert_busy(await client.post(f"{ME}/password", json=change, headers=bearer(access)))
    lane.leave()

    assert (await client.get(ME, headers=bearer(access))).status_code == 200  # not revoked
    assert (await login(client, "ann@example.com")).status_code == 200
    assert (await login(client, "ann@example.com", "a brand new passphrase")).status_code == 401


async def test_time_queued_for_a_worker_slot_counts_against_the_lane_wait(
    make_client: ClientFactory,
) -> None:
    """A login that already waited its `hash_wait_seconds` at the worker's gate is refused
    at once by a full lane rather than waiting as long again, past a client's timeout."""
    lane_settings = {"users": {**LANE["users"], "hash_wait_seconds": 1.0}}
    one_slot = {"rate_limit_disabled": True, "max_in_flight": 1, "in_flight_wait": 5.0}
    async with make_client(MODULES, lane_settings, settings_override=one_slot) as client:
        await register(client, "ann@example.com")
        lane = await held(client)
        started = time.monotonic()
        # The first login holds the worker's only slot while it waits 1 s for the lane.
        first = asyncio.create_task(login(client, "ann@example.com"))
        await asyncio.sleep(0.05)
        second = await login(client, "ann@example.com")  # queued behind it for about 1 s
        waited = time.monotonic() - started
        assert_busy(await first)
        assert_busy(second)
        lane.leave()
    # Both waits in full would take 2 s; the second's lane wait was what its gate wait left.
    assert 1.0 <= waited < 1.6, waited
