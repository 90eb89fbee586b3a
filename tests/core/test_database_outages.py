"""A database that does not answer: 503 within seconds, then recovery without a restart.

PostgreSQL going silent on the connections the pool holds; SQLite locked by another writer.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from core.settings import Settings
from core.testing import Backend, ClientFactory, TrellisClient
from tests.support.relay import TcpRelay

T = TypeVar("T")
POOL = 3
# Statement timeout 1 s, so every wait is given up after 2 s; a new connection after 2 s.
FAST = {
    "db_statement_timeout_ms": 1000,
    "db_connect_timeout": 2,
    "db_pool_size": POOL,
    "db_max_overflow": 0,
    "db_pool_timeout": 1,
}
# A wait given up (2 s), then a new connection that gets no answer either (2 s); generous.
OUTAGE_BOUND = 8.0
USERS = {"users": {"bcrypt_rounds": 4}}
PASSWORD = "long enough pw"


@pytest.fixture
async def relay(backend: Backend) -> AsyncIterator[TcpRelay]:
    assert backend.database_url is not None
    url = make_url(backend.database_url)
    relay = TcpRelay(url.host or "127.0.0.1", url.port or 5432)
    await relay.start()
    yield relay
    await relay.stop()


def _through(relay: TcpRelay, backend: Backend) -> str:
    assert backend.database_url is not None
    url = make_url(backend.database_url).set(host="127.0.0.1", port=relay.port)
    return url.render_as_string(hide_password=False)


async def _timed(call: Awaitable[T]) -> tuple[T, float]:
    started = time.monotonic()
    async with asyncio.timeout(60):  # only keeps a regression from hanging the suite
        result = await call
    return result, time.monotonic() - started


async def _fill_pool(client: TrellisClient) -> None:
    """Hold `POOL` connections at once, so the pool keeps that many open."""
    engine = client.runtime.engine
    connections = [await engine.connect() for _ in range(POOL)]
    for connection in connections:
        await connection.execute(text("SELECT 1"))
    for connection in connections:
        await connection.close()


def _register(client: httpx.AsyncClient, email: str) -> Awaitable[httpx.Response]:
    return client.post("/api/v1/users", json={"email": email, "password": PASSWORD})


def _emails(backend: Backend) -> set[str]:
    assert backend.database_url is not None
    engine = create_engine(make_url(backend.database_url).set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as connection:
            return set(connection.scalars(text("SELECT email FROM users_user")))
    finally:
        engine.dispose()


def _is_unavailable(response: httpx.Response) -> bool:
    return (
        response.status_code == 503
        and response.headers["content-type"] == "application/problem+json"
        and response.json()["status"] == 503
    )


@pytest.mark.backends("postgres")  # the embedded SQLite database has no network to go silent
async def test_a_silent_database_answers_503_in_seconds_and_recovers(
    make_client: ClientFactory, relay: TcpRelay, backend: Backend
) -> None:
    override: dict[str, Any] = {**FAST, "database_url": _through(relay, backend)}
    async with make_client(["health", "users"], USERS, settings_override=override) as client:
        assert (await _register(client, "before@example.com")).status_code == 201
        await _fill_pool(client)

        relay.pause()
        lost = [f"lost{n}@example.com" for n in range(POOL)]
        answers = await asyncio.gather(*(_timed(_register(client, email)) for email in lost))
        for response, elapsed in answers:
            assert _is_unavailable(response), response.text
            assert elapsed < OUTAGE_BOUND
        # Again, now that the pool holds no connection the server ever answered on.
        response, elapsed = await _timed(_register(client, "lost@example.com"))
        assert _is_unavailable(response)
        assert elapsed < OUTAGE_BOUND

        relay.resume()  # recovery needs no restart: the very next requests succeed
        for n in range(POOL + 2):
            response, elapsed = await _timed(_register(client, f"after{n}@example.com"))
            assert response.status_code == 201, response.text
            assert elapsed < OUTAGE_BOUND
        ready = await client.get("/health/ready")
        assert ready.status_code == 200, ready.text

    after = {f"after{n}@example.com" for n in range(POOL + 2)}
    assert _emails(backend) == {"before@example.com", *after}


@pytest.mark.backends("postgres")  # the embedded SQLite database has no network to go silent
async def test_a_statement_in_flight_when_the_server_goes_silent_is_given_up(
    make_client: ClientFactory, relay: TcpRelay, backend: Backend
) -> None:
    """Mid-transaction, past the pool's ping: the connection is closed, never reused."""
    override: dict[str, Any] = {**FAST, "database_url": _through(relay, backend)}
    async with make_client(["users"], USERS, settings_override=override) as client:
        engine = client.runtime.engine
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            relay.pause()
            started = time.monotonic()
            with pytest.raises(OperationalError) as failure:
                await _timed(connection.execute(text("SELECT 2")))
            assert time.monotonic() - started < 1.0 + 1.0 + 1.0  # statement timeout, grace, slack
            assert failure.value.connection_invalidated
        relay.resume()
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT 3")) == 3


@pytest.mark.backends("sqlite")
async def test_a_locked_sqlite_database_answers_503_within_the_busy_timeout(
    make_client: ClientFactory, settings: Settings
) -> None:
    override = {"db_statement_timeout_ms": 1000}
    async with make_client(["users"], USERS, settings_override=override) as client:
        writer = sqlite3.connect(settings.var_dir / "trellis.db", isolation_level=None)
        try:
            writer.execute("BEGIN IMMEDIATE")  # another process holding the write lock
            response, elapsed = await _timed(_register(client, "lost@example.com"))
            assert _is_unavailable(response), response.text
            assert elapsed < 1.0 + 2.0
        finally:
            writer.rollback()
            writer.close()
        assert (await _register(client, "after@example.com")).status_code == 201
        async with client.runtime.transaction() as session:
            emails = set((await session.execute(text("SELECT email FROM users_user"))).scalars())
    assert emails == {"after@example.com"}
