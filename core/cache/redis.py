"""Redis backend, shared by every worker process.

Every call is bounded: about a second (`timeout`) to get a connection and as long to connect,
send and read the answer, so a Redis outage costs each request about a second (then
`CacheUnavailable`), never the several seconds of redis-py's default retry-with-backoff.
Nothing is cached about the outage: a broken connection is closed and dials again when next
used, so service resumes by itself.

Commands travel in batches (`core.cache.batches`), which retry once, at once and on a fresh
socket, after a connection error: after a Redis restart every idle connection is dead, and
without it the first command on each would fail. A timeout is not retried (a silent server
would only double the wait). Every command here may run twice: GET, MGET, DEL and plain SET
are idempotent; a retried SET NX may report False for a key its own first attempt stored (the
value is ours either way); and a retried rate-limit INCR (alone or carried by a read) may
count one hit twice, only when the connection broke after Redis ran it. One hit too many,
rarely, is a better trade than a 503 per stale connection.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

from redis.exceptions import NoScriptError, RedisError

from core.cache.base import CacheUnavailable
from core.cache.batches import Batches
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


class _Script:
    """A Lua script run by its SHA1, loaded first where the server does not know it yet."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()


_INCR_SCRIPT = _Script(_INCR_WINDOW)
_READ_AND_COUNT_SCRIPT = _Script(_READ_AND_COUNT)


class RedisCache:
    """`Cache` on Redis, its commands batched (`core.cache.batches`), every call bounded."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "trellis:",
        timeout: float = 1.0,
        max_connections: int = 64,
        health_check_interval: int = 30,
    ) -> None:
        self._batches = Batches(
            url,
            max_connections=max_connections,
            timeout=timeout,
            health_check_interval=health_check_interval,
        )
        self._prefix = prefix

    async def _execute(self, *command: str | int) -> Any:
        """One command; its reply as redis-py parses it (str, int, None or a list of them)."""
        with _unavailable_on_error():
            return await self._batches.run(command)

    async def _run_script(self, script: _Script, keys: Sequence[str], args: Sequence[int]) -> Any:
        command: tuple[str | int, ...] = (len(keys), *keys, *args)
        with _unavailable_on_error():
            try:
                return await self._batches.run(("EVALSHA", script.sha, *command))
            except NoScriptError:  # a restarted or flushed server: send it the source once
                return await self._batches.run(("EVAL", script.source, *command))

    async def get(self, key: str) -> str | None:
        return cast("str | None", await self._execute("GET", self._prefix + key))

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        rider = board()
        if rider is not None:
            return await self._get_many_counting(keys, rider)
        if not keys:
            return []
        values = await self._execute("MGET", *(self._prefix + key for key in keys))
        return cast("list[str | None]", values)

    async def _get_many_counting(self, keys: Sequence[str], rider: Rider) -> list[str | None]:
        full_keys = [self._prefix + key for key in (*keys, rider.key)]
        ttl_ms = _milliseconds(rider.ttl)
        *values, count, remaining_ms = await self._run_script(
            _READ_AND_COUNT_SCRIPT, full_keys, [ttl_ms]
        )
        rider.counted = int(count), int(remaining_ms) / 1000
        return cast("list[str | None]", values)

    async def set(
        self, key: str, value: str, *, ttl: float | None = None, only_if_absent: bool = False
    ) -> bool:
        args: list[str | int] = ["SET", self._prefix + key, value]
        if ttl is not None:
            args += ["PX", _milliseconds(ttl)]
        if only_if_absent:
            args.append("NX")
        return await self._execute(*args) is not None  # "OK", or nil when NX found the key

    async def delete(self, *keys: str) -> None:
        if keys:
            await self._execute("DEL", *(self._prefix + key for key in keys))

    async def incr(self, key: str, *, ttl: float) -> tuple[int, float]:
        window_ms = _milliseconds(ttl)
        count, remaining_ms = await self._run_script(
            _INCR_SCRIPT, [self._prefix + key], [window_ms]
        )
        return int(count), int(remaining_ms) / 1000

    async def ping(self) -> None:
        await self._execute("PING")

    async def close(self) -> None:
        await self._batches.close()
