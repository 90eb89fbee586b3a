"""With the API rate limit on, a warm authenticated request still costs one cache round trip:
the limiter's count rides on the resolver's read. Counted on the real cache: its calls, and on
Redis the commands the request sent."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from core.cache.batches import Batches, Command
from core.settings import Settings

from .support import ME, app_and_client, bearer, runtime_of, signed_up
from .test_hot_path import count_calls

LIMIT = 4


class Sends(list[object]):
    """Every command sent to Redis by the task that last cleared it (requests run in it)."""

    task: asyncio.Task[Any] | None = None

    def clear(self) -> None:
        super().clear()
        self.task = asyncio.current_task()


@pytest.fixture
def sends(monkeypatch: pytest.MonkeyPatch) -> Sends:
    """Commands reach the socket in batches written by a task of their own (`Batches`): they
    are counted where the request hands them over, each one a round trip it waits for."""
    sent = Sends()
    original = Batches.run

    async def counted(self: Batches, command: Command) -> Any:
        if asyncio.current_task() is sent.task:
            sent.append(command)
        return await original(self, command)

    monkeypatch.setattr(Batches, "run", counted)
    return sent


async def test_the_rate_limit_count_rides_on_the_resolvers_read(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, sends: Sends
) -> None:
    limited = settings.model_copy(
        update={"rate_limit_disabled": False, "api_rate_limit": f"{LIMIT}/minute"}
    )
    async with app_and_client(limited) as (app, client):
        access = (await signed_up(client, "ann@example.com"))["access_token"]
        first = await client.get(ME, headers=bearer(access))  # a snapshot miss, loads scripts
        assert first.status_code == 200, first.text
        assert first.headers["RateLimit-Remaining"] == str(LIMIT - 1)
        calls = count_calls(runtime_of(app).cache, monkeypatch)

        for remaining in range(LIMIT - 2, -1, -1):
            calls.clear()
            sends.clear()
            response = await client.get(ME, headers=bearer(access))
            assert response.status_code == 200, response.text
            assert response.headers["RateLimit-Remaining"] == str(remaining)
            assert calls == ["get_many"]
            assert len(sends) == (1 if limited.redis_url else 0)

        calls.clear()
        sends.clear()
        refused = await client.get(ME, headers=bearer(access))
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert int(refused.headers["Retry-After"]) >= 1
        assert calls == ["get_many"]
        assert len(sends) == (1 if limited.redis_url else 0)


async def test_a_refused_token_is_counted_under_the_client_address(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    limited = settings.model_copy(
        update={"rate_limit_disabled": False, "api_rate_limit": f"{LIMIT}/minute"}
    )
    async with app_and_client(limited) as (app, client):
        access = (await signed_up(client, "ann@example.com"))["access_token"]
        assert (await client.post("/api/v1/auth/logout", headers=bearer(access))).is_success
        calls = count_calls(runtime_of(app).cache, monkeypatch)
        refused = await client.get(ME, headers=bearer(access))
        assert refused.status_code == 401
        assert calls == ["get_many", "incr"]  # the read carried the user's, then the address's


async def test_requests_without_a_token_are_counted_as_before(settings: Settings) -> None:
    limited = settings.model_copy(
        update={"rate_limit_disabled": False, "api_rate_limit": f"{LIMIT}/minute"}
    )
    async with app_and_client(limited) as (_app, client):
        seen = [await client.get(ME) for _ in range(LIMIT + 1)]
    assert [r.status_code for r in seen] == [401] * LIMIT + [429]
