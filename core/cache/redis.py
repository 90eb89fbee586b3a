"""Redis backend, shared by every worker process.

Every call is bounded: ~1 s to connect and ~1 s to answer (`timeout`), so a Redis outage
costs each request about a second (then `CacheUnavailable`), never the several seconds of
redis-py's default retry-with-backoff. Nothing is cached about the outage: the pool drops
broken connections and dials again on the next call, so service resumes by itself.

One retry, at once and on a fresh connection, follows a connection error: after a Redis
restart every pooled connection is dead, and without it the first command on each would
fail. A timeout is not retried (a silent server would only double the wait). Every command
here may run twice: GET, MGET, DEL and plain SET are idempotent; a retried SET NX may
report False for a key its own first attempt stored (the value is ours either way); and a
retried rate-limit INCR (alone or carried by a read) may count one hit twice, only when the
connection broke after Redis ran it. One hit too many, rarely, is a better trade than a 503
per stale connection.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import cast

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from core.cache.base import CacheUnavailable
from core.cache.rider import Rider, board
from core.metrics.standard import CACHE_ERRORS

__all__ = ["RedisCache"]

# INCR and PEXPIRE in one script so concurrent processes never see a counter without
# its window. PTTL < 0 also repairs a key that was somehow stored without expiry.
_INCR_WINDOW = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  ttl = tonumber(ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return {count, ttl}
"""

# MGET and the same counting, for a read carrying a waiting count (`core.cache.rider`): the
# counter is the last key. A nil from MGET is `false` in Lua and nil again in the reply.
_READ_AND_COUNT = """
local n = #KEYS - 1
local reply = {}
if n > 0 then
  reply = redis.call('MGET', unpack(KEYS, 1, n))
end
local count = redis.call('INCR', KEYS[n + 1])
local ttl = redis.call('PTTL', KEYS[n + 1])
if ttl < 0 then
  ttl = tonumber(ARGV[1])
  redis.call('PEXPIRE', KEYS[n + 1], ttl)
end
reply[n + 1] = count
reply[n + 2] = ttl
return reply
"""


@contextmanager
def _unavailable_on_error() -> Iterator[None]:
    """Turn any redis-py failure into `CacheUnavailable`.

    Besides connection errors and timeouts, server replies such as LOADING, READONLY
    or OOM also mean "cannot serve now", so every RedisError maps to unavailability.
    OSError covers socket errors redis-py lets through unwrapped.
    """
    try:
        yield
    except (RedisError, OSError) as exc:
        CACHE_ERRORS.inc()
        raise CacheUnavailable(f"redis: {exc}") from exc


def _milliseconds(ttl: float) -> int:
    if ttl <= 0:
        raise ValueError(f"ttl must be positive, got {ttl!r}")
    return max(1, math.ceil(ttl * 1000))


class RedisCache:
    """`Cache` on `redis.asyncio` with bounded timeouts and one retry after a lost connection."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "trellis:",
        timeout: float = 1.0,
        max_connections: int = 64,
        health_check_interval: int = 30,
    ) -> None:
        # A blocking pool makes a burst beyond max_connections wait (up to `timeout`)
        # for a free connection instead of failing at once with "Too many connections".
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=timeout,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
            health_check_interval=health_check_interval,
            decode_responses=True,
        )
        self._client = Redis.from_pool(pool)
        self._prefix = prefix
        self._incr_window = self._client.register_script(_INCR_WINDOW)
        self._read_and_count = self._client.register_script(_READ_AND_COUNT)

    async def get(self, key: str) -> str | None:
        with _unavailable_on_error():
            value = await self._client.get(self._prefix + key)
        # decode_responses=True: redis-py's stubs cannot tell, replies are str, never bytes.
        return cast("str | None", value)

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        rider = board()
        if rider is not None:
            return await self._get_many_counting(keys, rider)
        if not keys:
            return []
        with _unavailable_on_error():
            values = await self._client.mget([self._prefix + key for key in keys])
        return cast("list[str | None]", values)

    async def _get_many_counting(self, keys: Sequence[str], rider: Rider) -> list[str | None]:
        full_keys = [self._prefix + key for key in (*keys, rider.key)]
        with _unavailable_on_error():
            reply = await self._read_and_count(keys=full_keys, args=[_milliseconds(rider.ttl)])
        *values, count, remaining_ms = reply
        rider.counted = int(count), int(remaining_ms) / 1000
        return cast("list[str | None]", values)

    async def set(
        self, key: str, value: str, *, ttl: float | None = None, only_if_absent: bool = False
    ) -> bool:
        px = None if ttl is None else _milliseconds(ttl)
        with _unavailable_on_error():
            stored = await self._client.set(self._prefix + key, value, px=px, nx=only_if_absent)
        return bool(stored)

    async def delete(self, *keys: str) -> None:
        if not keys:
            return
        with _unavailable_on_error():
            await self._client.delete(*(self._prefix + key for key in keys))

    async def incr(self, key: str, *, ttl: float) -> tuple[int, float]:
        window_ms = _milliseconds(ttl)
        with _unavailable_on_error():
            count, remaining_ms = await self._incr_window(
                keys=[self._prefix + key], args=[window_ms]
            )
        return int(count), int(remaining_ms) / 1000

    async def ping(self) -> None:
        with _unavailable_on_error():
            await self._client.ping()

    async def close(self) -> None:
        await self._client.aclose()
