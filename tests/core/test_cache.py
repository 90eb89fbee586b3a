"""Cache backends against the same behavioural contract; Redis runs when TEST_REDIS_URL is set."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection

from core.cache import Cache, CacheUnavailable, create_cache
from tests.support.relay import TcpRelay

REDIS_URL = os.environ.get("TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="set TEST_REDIS_URL to test Redis")
# Correctness bound for "fails fast": generous so a loaded CI box never flakes.
FAIL_FAST_SECONDS = 5.0

OpenCache = Callable[..., Cache]


@pytest.fixture
def prefix() -> str:
    return f"test:{uuid.uuid4().hex}:"


@pytest.fixture(params=["memory", pytest.param("redis", marks=needs_redis)])
def redis_url(request: pytest.FixtureRequest) -> str | None:
    return REDIS_URL if request.param == "redis" else None


@pytest.fixture
async def open_cache(redis_url: str | None, prefix: str) -> AsyncIterator[OpenCache]:
    """Factory for caches under this test's unique prefix; closes them and removes their keys."""
    opened: list[Cache] = []

    def _open(sub_prefix: str = "") -> Cache:
        cache = create_cache(redis_url, prefix=prefix + sub_prefix)
        opened.append(cache)
        return cache

    yield _open
    for cache in opened:
        await cache.close()
    if redis_url:
        raw = Redis.from_url(redis_url)
        keys = [key async for key in raw.scan_iter(match=f"{prefix}*")]
        if keys:
            await raw.delete(*keys)
        await raw.aclose()


@pytest.fixture
def cache(open_cache: OpenCache) -> Cache:
    return open_cache()


async def test_get_missing_returns_none(cache: Cache) -> None:
    assert await cache.get("missing") is None


async def test_set_then_get_and_overwrite(cache: Cache) -> None:
    assert await cache.set("k", "one") is True
    assert await cache.get("k") == "one"
    assert await cache.set("k", "two") is True
    assert await cache.get("k") == "two"


async def test_ttl_expires(cache: Cache) -> None:
    await cache.set("short", "v", ttl=0.2)
    await cache.set("forever", "v")
    assert await cache.get("short") == "v"
    await asyncio.sleep(0.3)
    assert await cache.get("short") is None
    assert await cache.get("forever") == "v"


async def test_only_if_absent(cache: Cache) -> None:
    assert await cache.set("lock", "first", only_if_absent=True, ttl=0.2) is True
    assert await cache.set("lock", "second", only_if_absent=True) is False
    assert await cache.get("lock") == "first"
    await asyncio.sleep(0.3)
    assert await cache.set("lock", "third", only_if_absent=True) is True
    assert await cache.get("lock") == "third"


async def test_delete(cache: Cache) -> None:
    await cache.set("a", "1")
    await cache.set("b", "2")
    await cache.set("c", "3")
    await cache.delete("a", "b", "never-set")
    await cache.delete()
    assert await cache.get_many(["a", "b", "c"]) == [None, None, "3"]


async def test_get_many_keeps_order_and_reports_misses(cache: Cache) -> None:
    await cache.set("a", "1")
    await cache.set("c", "3")
    assert await cache.get_many(["c", "b", "a", "c"]) == ["3", None, "1", "3"]
    assert await cache.get_many([]) == []


async def test_incr_counts_within_one_window(cache: Cache) -> None:
    counts, remaining = [], []
    for _ in range(3):
        count, left = await cache.incr("hits", ttl=10)
        counts.append(count)
        remaining.append(left)
    assert counts == [1, 2, 3]
    assert all(0 < left <= 10 for left in remaining)
    # Fixed window: later hits never push the reset further out.
    assert remaining == sorted(remaining, reverse=True)
    assert await cache.get("hits") == "3"


async def test_incr_window_resets(cache: Cache) -> None:
    assert (await cache.incr("hits", ttl=0.2))[0] == 1
    assert (await cache.incr("hits", ttl=0.2))[0] == 2
    await asyncio.sleep(0.3)
    count, left = await cache.incr("hits", ttl=0.2)
    assert count == 1
    assert 0 < left <= 0.2


async def test_incr_is_atomic_under_concurrency(cache: Cache) -> None:
    results = await asyncio.gather(*(cache.incr("burst", ttl=10) for _ in range(50)))
    assert sorted(count for count, _ in results) == list(range(1, 51))
    assert await cache.get("burst") == "50"


async def test_prefixes_isolate_caches(open_cache: OpenCache) -> None:
    first, second = open_cache("one:"), open_cache("two:")
    await first.set("k", "1")
    assert await second.get("k") is None
    await second.set("k", "2")
    await second.incr("n", ttl=10)
    assert await first.get_many(["k", "n"]) == ["1", None]
    await second.delete("k")
    assert await first.get("k") == "1"


@pytest.mark.parametrize("ttl", [0, -1])
async def test_non_positive_ttl_is_rejected(cache: Cache, ttl: float) -> None:
    with pytest.raises(ValueError, match="ttl"):
        await cache.set("k", "v", ttl=ttl)
    with pytest.raises(ValueError, match="ttl"):
        await cache.incr("n", ttl=ttl)


async def test_ping(cache: Cache) -> None:
    await cache.ping()


@needs_redis
async def test_redis_stores_keys_under_prefix(prefix: str) -> None:
    assert REDIS_URL
    cache = create_cache(REDIS_URL, prefix=prefix)
    raw = Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        await cache.set("k", "v", ttl=10)
        assert await raw.get(f"{prefix}k") == "v"
        assert 0 < await raw.pttl(f"{prefix}k") <= 10_000
    finally:
        await raw.delete(f"{prefix}k")
        await raw.aclose()
        await cache.close()


Operation = Callable[[Cache], Awaitable[object]]
OPERATIONS: dict[str, Operation] = {
    "get": lambda c: c.get("k"),
    "get_many": lambda c: c.get_many(["a", "b"]),
    "set": lambda c: c.set("k", "v", ttl=1),
    "delete": lambda c: c.delete("k"),
    "incr": lambda c: c.incr("k", ttl=1),
    "ping": lambda c: c.ping(),
}


async def _assert_fails_fast(cache: Cache, operation: Operation) -> None:
    started = time.monotonic()
    # The outer timeout only keeps a regression from hanging the suite.
    async with asyncio.timeout(30):
        with pytest.raises(CacheUnavailable):
            await operation(cache)
    assert time.monotonic() - started < FAIL_FAST_SECONDS


@pytest.mark.parametrize("name", OPERATIONS)
async def test_closed_port_raises_unavailable_fast(name: str) -> None:
    cache = create_cache("redis://127.0.0.1:1/0")
    try:
        await _assert_fails_fast(cache, OPERATIONS[name])
    finally:
        await cache.close()


async def test_silent_server_times_out_as_unavailable() -> None:
    """A server that accepts but never answers must hit the socket timeout, not hang."""

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    cache = create_cache(f"redis://127.0.0.1:{port}/0")
    try:
        await _assert_fails_fast(cache, OPERATIONS["get"])
        await _assert_fails_fast(cache, OPERATIONS["ping"])
    finally:
        await cache.close()
        server.close()
        await server.wait_closed()


@needs_redis
async def test_redis_recovers_without_restart(prefix: str) -> None:
    assert REDIS_URL
    parts = urlsplit(REDIS_URL)
    proxy = TcpRelay(parts.hostname or "127.0.0.1", parts.port or 6379)
    await proxy.start()
    db = urlsplit(REDIS_URL).path or "/0"
    cache = create_cache(f"redis://127.0.0.1:{proxy.port}{db}", prefix=prefix)
    try:
        await cache.set("k", "v", ttl=10)
        await proxy.stop()
        await _assert_fails_fast(cache, OPERATIONS["get"])
        await proxy.start()  # same port: the cache's URL is unchanged
        assert await cache.get("k") == "v"
        await cache.ping()
    finally:
        await cache.delete("k")
        await cache.close()
        await proxy.stop()


@needs_redis
async def test_commands_issued_together_share_one_write_and_keep_their_replies(
    prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Requests reading at once cost one write on one connection, not one each."""
    assert REDIS_URL
    cache = create_cache(REDIS_URL, prefix=prefix)
    writes: list[object] = []
    original = AbstractConnection.send_packed_command

    async def counted(self: AbstractConnection, command: Any, *args: Any, **kwargs: Any) -> None:
        writes.append(command)
        await original(self, command, *args, **kwargs)

    try:
        await asyncio.gather(*(cache.set(f"k{n}", f"v{n}", ttl=10) for n in range(20)))
        await cache.set("text", "not a number", ttl=10)
        monkeypatch.setattr(AbstractConnection, "send_packed_command", counted)
        replies = await asyncio.gather(
            *(cache.get(f"k{n}") for n in range(20)),
            cache.incr("text", ttl=10),  # an error reply amid the batch fails this one only
            cache.get_many(["k0", "missing", "k19"]),
            return_exceptions=True,
        )
        assert replies[:20] == [f"v{n}" for n in range(20)]
        assert isinstance(replies[20], CacheUnavailable)
        assert replies[21] == ["v0", None, "v19"]
        assert len(writes) == 1
        assert await cache.get("k7") == "v7"  # the connection is still in step
    finally:
        await cache.close()
