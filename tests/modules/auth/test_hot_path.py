"""An authenticated request costs one cache round trip to verify its token, and nothing more."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from core.cache import Cache
from core.settings import Settings

from .support import app_and_client, bearer, runtime_of, signed_up


class CountingCache:
    """A `Cache` that records the name of every call before passing it on."""

    def __init__(self, inner: Cache) -> None:
        self.inner = inner
        self.calls: list[str] = []

    async def get(self, key: str) -> str | None:
        self.calls.append("get")
        return await self.inner.get(key)

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        self.calls.append("get_many")
        return await self.inner.get_many(keys)

    async def set(
        self, key: str, value: str, *, ttl: float | None = None, only_if_absent: bool = False
    ) -> bool:
        self.calls.append("set")
        return await self.inner.set(key, value, ttl=ttl, only_if_absent=only_if_absent)

    async def delete(self, *keys: str) -> None:
        self.calls.append("delete")
        await self.inner.delete(*keys)

    async def incr(self, key: str, *, ttl: float) -> tuple[int, float]:
        self.calls.append("incr")
        return await self.inner.incr(key, ttl=ttl)

    async def ping(self) -> None:
        await self.inner.ping()

    async def close(self) -> None:
        await self.inner.close()


async def test_a_warm_token_costs_one_cache_round_trip(settings: Settings) -> None:
    quiet = settings.model_copy(update={"rate_limit_disabled": True})  # no INCR per request
    async with app_and_client(quiet) as (app, client):
        access = (await signed_up(client, "ann@example.com"))["access_token"]
        counting = CountingCache(runtime_of(app).cache)
        app.state.runtime = dataclasses.replace(runtime_of(app), cache=counting)

        first = await client.get("/api/v1/auth/sessions", headers=bearer(access))
        assert first.status_code == 200
        assert counting.calls == ["get_many", "set"]  # a miss: loaded once, then remembered

        counting.calls.clear()
        for _ in range(3):
            again = await client.get("/api/v1/auth/sessions", headers=bearer(access))
            assert again.status_code == 200
        assert counting.calls == ["get_many"] * 3  # denylist and snapshot in one MGET
