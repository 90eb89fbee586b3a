"""On PostgreSQL a request's transaction waits its turn for a pooled connection, first come
first served, and gets the pool timeout's 503 when no turn comes in time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from core.shedding import Gate
from core.testing import ClientFactory, TrellisClient

ONE_CONNECTION = {"db_pool_size": 1, "db_max_overflow": 0, "db_pool_timeout": 0.5}
USERS = {"users": {"bcrypt_rounds": 4}}


def register(client: TrellisClient, email: str) -> asyncio.Task[httpx.Response]:
    body = {"email": email, "password": "long enough pw"}
    return asyncio.create_task(client.post("/api/v1/users", json=body))


@asynccontextmanager
async def only_connection_held(
    make_client: ClientFactory,
) -> AsyncIterator[tuple[TrellisClient, Gate]]:
    """An app whose pool has one connection, its slot held as a long transaction holds it."""
    async with make_client(["users"], USERS, settings_override=ONE_CONNECTION) as client:
        slots = client.runtime.connection_slots
        assert slots is not None
        assert slots.limit == 1  # as many as the pool's connections
        assert await slots.enter()
        yield client, slots


@pytest.mark.backends("postgres")
async def test_requests_get_the_pools_connections_in_arrival_order(
    make_client: ClientFactory,
) -> None:
    async with only_connection_held(make_client) as (client, slots):
        first = register(client, "first@example.com")
        await asyncio.sleep(0.05)
        second = register(client, "second@example.com")
        await asyncio.sleep(0.05)
        assert slots.waiting == 2  # queued in that order, neither with a connection
        slots.leave()
        assert (await first).status_code == 201
        assert (await second).status_code == 201


@pytest.mark.backends("postgres")
async def test_no_turn_within_the_pool_timeout_is_a_503_that_changes_nothing(
    make_client: ClientFactory,
) -> None:
    async with only_connection_held(make_client) as (client, slots):
        started = time.monotonic()
        refused = await register(client, "late@example.com")
        waited = time.monotonic() - started
        slots.leave()
        assert refused.status_code == 503
        assert refused.headers["content-type"] == "application/problem+json"
        assert "retry-after" in refused.headers
        assert 0.5 <= waited < 3.0  # the pool timeout, then the answer
        assert slots.waiting == 0
        assert slots.in_flight == 0  # the refused request holds no slot
        again = await register(client, "late@example.com")
        assert again.status_code == 201  # the refused attempt stored nothing


@pytest.mark.backends("sqlite")
async def test_the_embedded_database_has_no_queue_of_its_own(make_client: ClientFactory) -> None:
    async with make_client(["users"], USERS) as client:
        assert client.runtime.connection_slots is None
        assert (await register(client, "ann@example.com")).status_code == 201
