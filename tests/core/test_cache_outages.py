"""Redis restarted under a full pool, and Redis gone silent, seen through HTTP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select
from sqlmodel import col

from core.testing import Backend, ClientFactory, TrellisClient
from modules.users.models import User
from tests.support.redis_server import PrivateRedis
from tests.support.relay import TcpRelay

USERS = {"users": {"bcrypt_rounds": 4}}
PASSWORD = "long enough pw"
CONCURRENT = 8
LIMIT = 1000  # the general API limit, so RateLimit-Remaining shows how often Redis counted


@pytest.fixture
async def redis_relay(backend: Backend) -> AsyncIterator[TcpRelay]:
    assert backend.redis_url is not None
    parts = urlsplit(backend.redis_url)
    relay = TcpRelay(parts.hostname or "127.0.0.1", parts.port or 6379)
    await relay.start()
    yield relay
    await relay.stop()


async def _register(client: httpx.AsyncClient, email: str) -> httpx.Response:
    async with asyncio.timeout(60):  # only keeps a regression from hanging the suite
        return await client.post("/api/v1/users", json={"email": email, "password": PASSWORD})


async def _user_count(client: TrellisClient, *emails: str) -> int:
    async with client.runtime.transaction() as session:
        query = select(func.count()).select_from(User).where(col(User.email).in_(emails))
        return int(await session.scalar(query) or 0)


@pytest.mark.backends("postgres")  # with the networked services; Redis is a private one
async def test_a_redis_restart_costs_no_request(
    make_client: ClientFactory, private_redis: PrivateRedis
) -> None:
    override = {"redis_url": private_redis.url, "api_rate_limit": f"{LIMIT}/hour"}
    async with make_client(["users"], USERS, settings_override=override) as client:
        # Concurrent requests leave the pool holding that many connections.
        warm = [f"warm{n}@example.com" for n in range(CONCURRENT)]
        answers = await asyncio.gather(*(_register(client, email) for email in warm))
        assert [response.status_code for response in answers] == [201] * CONCURRENT

        private_redis.restart()  # without persistence: the counters start again from zero
        sequential = [f"seq{n}@example.com" for n in range(CONCURRENT)]
        remaining = []
        for email in sequential:
            response = await _register(client, email)
            assert response.status_code == 201, response.text
            remaining.append(int(response.headers["RateLimit-Remaining"]))
        # Each request counted exactly once, the retried ones included.
        assert remaining == [LIMIT - n for n in range(1, CONCURRENT + 1)]

        private_redis.restart()
        concurrent = [f"conc{n}@example.com" for n in range(CONCURRENT)]
        answers = await asyncio.gather(*(_register(client, email) for email in concurrent))
        assert [response.status_code for response in answers] == [201] * CONCURRENT
        counted = sorted(int(response.headers["RateLimit-Remaining"]) for response in answers)
        assert counted == [LIMIT - n for n in range(CONCURRENT, 0, -1)]

        assert await _user_count(client, *warm, *sequential, *concurrent) == 3 * CONCURRENT


@pytest.mark.backends("postgres")  # Redis over the network; the in-process cache cannot go silent
async def test_a_silent_redis_answers_503_within_the_cache_timeout(
    make_client: ClientFactory, redis_relay: TcpRelay, backend: Backend
) -> None:
    assert backend.redis_url is not None
    database = urlsplit(backend.redis_url).path or "/0"
    timeout = 1.0
    override = {"redis_url": f"redis://127.0.0.1:{redis_relay.port}{database}"}
    async with make_client(
        ["users"], USERS, settings_override={**override, "cache_timeout": timeout}
    ) as client:
        assert (await _register(client, "before@example.com")).status_code == 201

        redis_relay.pause()
        for _ in range(2):  # on the pooled connection, then on a new one
            started = time.monotonic()
            response = await _register(client, "lost@example.com")
            assert time.monotonic() - started < timeout + 1.5
            assert response.status_code == 503
            assert response.headers["content-type"] == "application/problem+json"
        assert await _user_count(client, "lost@example.com") == 0

        redis_relay.resume()
        assert (await _register(client, "after@example.com")).status_code == 201
        assert await _user_count(client, "before@example.com", "after@example.com") == 2
