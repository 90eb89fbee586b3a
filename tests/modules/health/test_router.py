"""Liveness and readiness through HTTP."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy.engine import make_url

from core.testing import Backend, ClientFactory
from tests.support.relay import TcpRelay

ALL_OK = {"database": "ok", "cache": "ok", "migrations": "ok", "shutdown": "ok"}


async def test_liveness_touches_nothing(health_client: httpx.AsyncClient) -> None:
    response = await health_client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readiness_reports_each_check(health_client: httpx.AsyncClient) -> None:
    response = await health_client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) >= {"database", "cache", "migrations", "shutdown"}
    assert all(check["status"] == "ok" for check in body["checks"].values())
    assert all(check["latency_ms"] >= 0 for check in body["checks"].values())


async def test_readiness_is_503_when_the_cache_is_unreachable(make_client: ClientFactory) -> None:
    unreachable = {"redis_url": "redis://127.0.0.1:1/0"}
    async with make_client(["health"], settings_override=unreachable) as client:
        response = await client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["cache"]["status"] in {"error", "timeout"}
    assert body["checks"]["database"]["status"] == "ok"


async def _ready_status(client: httpx.AsyncClient) -> tuple[int, dict[str, str]]:
    response = await client.get("/health/ready")
    return response.status_code, {k: v["status"] for k, v in response.json()["checks"].items()}


async def _assert_readiness_follows(
    make_client: ClientFactory, relay: TcpRelay, settings_override: dict[str, str], check: str
) -> None:
    """Ready, then 503 naming `check` while the relay is cut, then ready again once restored."""
    try:
        async with make_client(["health"], settings_override=settings_override) as client:
            assert await _ready_status(client) == (200, ALL_OK)
            await relay.stop()
            status, checks = await _ready_status(client)
            assert status == 503
            assert checks[check] in {"error", "timeout"}
            await relay.start()
            assert await _ready_status(client) == (200, ALL_OK)
    finally:
        await relay.stop()


async def _database_relay(backend: Backend) -> tuple[TcpRelay, str]:
    """A started relay to the test's database, and the database URL through it."""
    assert backend.database_url is not None
    url = make_url(backend.database_url)
    relay = TcpRelay(url.host or "127.0.0.1", url.port or 5432)
    await relay.start()
    return relay, url.set(host="127.0.0.1", port=relay.port).render_as_string(False)


@pytest.mark.backends("postgres")  # the embedded SQLite database has no network to lose
async def test_readiness_follows_the_database_down_and_back(
    make_client: ClientFactory, backend: Backend
) -> None:
    relay, through_relay = await _database_relay(backend)
    await _assert_readiness_follows(make_client, relay, {"database_url": through_relay}, "database")


@pytest.mark.backends("postgres")  # the embedded SQLite database has no network to go silent
async def test_readiness_answers_in_time_while_the_database_is_silent(
    make_client: ClientFactory, backend: Backend
) -> None:
    """A pooled connection that gets no answer: the check times out, readiness does not wait."""
    relay, through_relay = await _database_relay(backend)
    try:
        async with make_client(
            ["health"], settings_override={"database_url": through_relay}
        ) as client:
            ready, _ = await _ready_status(client)  # the pool now holds a connection
            assert ready == 200
            relay.pause()
            started = time.monotonic()
            async with asyncio.timeout(60):  # only keeps a regression from hanging the suite
                status, checks = await _ready_status(client)
            assert time.monotonic() - started < 2.0 + 1.5  # the check's own timeout, and slack
            assert status == 503
            assert checks["database"] == "timeout"
            relay.resume()
            ready, _ = await _ready_status(client)
            assert ready == 200
    finally:
        await relay.stop()


@pytest.mark.backends("postgres")  # with Redis; the in-process cache has no network to lose
async def test_readiness_follows_redis_down_and_back(
    make_client: ClientFactory, backend: Backend
) -> None:
    assert backend.redis_url is not None
    parts = urlsplit(backend.redis_url)
    relay = TcpRelay(parts.hostname or "127.0.0.1", parts.port or 6379)
    await relay.start()
    through_relay = f"redis://127.0.0.1:{relay.port}{parts.path or '/0'}"
    await _assert_readiness_follows(make_client, relay, {"redis_url": through_relay}, "cache")
