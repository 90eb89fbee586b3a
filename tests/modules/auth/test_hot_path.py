"""An authenticated request costs one cache round trip to verify its token, and nothing more."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from core.cache import Cache
from core.settings import Settings

from .support import app_and_client, bearer, runtime_of, signed_up


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
