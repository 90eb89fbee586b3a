"""An authenticated request costs one cache round trip to verify its token, and nothing more:
the denylist entry, the session snapshot and the revocation stamp come in one MGET."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest

from core.cache import Cache
from core.settings import Settings
from modules.auth import snapshots
from modules.auth.watermark import Stamp, watermark_for

from .support import app_and_client, bearer, me_status, runtime_of, signed_up, tokens

SESSIONS = "/api/v1/auth/sessions"


def count_calls(cache: Cache, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the name of every call the app makes on `cache` (the very instance it holds)."""
    calls: list[str] = []

    def counted(name: str) -> Callable[..., Awaitable[Any]]:
        method = getattr(cache, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            return await method(*args, **kwargs)

        return call

    for name in ("get", "get_many", "set", "delete", "incr"):
        monkeypatch.setattr(cache, name, counted(name))
    return calls


async def test_a_warm_token_costs_one_cache_round_trip(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    quiet = settings.model_copy(update={"rate_limit_disabled": True})  # no INCR per request
    async with app_and_client(quiet) as (app, client):
        access = (await signed_up(client, "ann@example.com"))["access_token"]
        calls = count_calls(runtime_of(app).cache, monkeypatch)

        first = await client.get("/api/v1/auth/sessions", headers=bearer(access))
        assert first.status_code == 200
        assert calls == ["get_many", "set"]  # a miss: loaded once, then remembered

        calls.clear()
        for _ in range(3):
            again = await client.get("/api/v1/auth/sessions", headers=bearer(access))
            assert again.status_code == 200
        assert calls == ["get_many"] * 3  # denylist and snapshot in one MGET


async def test_a_stamp_behind_costs_database_reads_until_the_repair(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cache whose revocation stamp is behind is not believed; it is repaired into a new
    epoch, after which a warm token is back to one round trip."""
    quiet = settings.model_copy(update={"rate_limit_disabled": True})
    async with app_and_client(quiet) as (app, client):
        access = (await signed_up(client, "ann@example.com"))["access_token"]
        other = (await tokens(client, "ann@example.com"))["access_token"]
        assert (await client.post("/api/v1/auth/logout", headers=bearer(other))).is_success
        assert (await client.get(SESSIONS, headers=bearer(access))).status_code == 200
        runtime = runtime_of(app)
        known = watermark_for(runtime).known
        assert known.seq >= 1
        assert await snapshots.read_stamp(runtime.cache) == known  # the logout's own stamp
        behind = Stamp(epoch=known.epoch, seq=known.seq - 1, nonce="from an old dump")
        await snapshots.write_stamp(runtime.cache, behind)

        assert await me_status(client, access) == 200  # answered from the database
        assert await me_status(client, other) == 401
        mark = watermark_for(runtime)
        for _ in range(100):  # the repair runs in the background; learnt once it commits
            if mark.known.epoch > known.epoch:
                break
            await asyncio.sleep(0.02)
        repaired = await snapshots.read_stamp(runtime.cache)
        assert repaired == mark.known == replace(known, epoch=known.epoch + 1)

        calls = count_calls(runtime.cache, monkeypatch)
        for _ in range(3):
            assert (await client.get(SESSIONS, headers=bearer(access))).status_code == 200
        assert calls == ["get_many", "set", "get_many", "get_many"]  # a new epoch starts cold
