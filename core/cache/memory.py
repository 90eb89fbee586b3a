"""In-process cache for development, tests and single-process deployments.

Plain dict access on one event loop needs no locks: no method awaits between reading
and writing, so every operation is atomic with respect to other tasks.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence

from core.cache.rider import board

__all__ = ["MemoryCache"]

_Entry = tuple[str, float | None]  # value, monotonic expiry (None: never)


class MemoryCache:
    """Bounded dict cache with expiry; evicts the least recently used key when full."""

    def __init__(self, *, prefix: str = "trellis:", max_keys: int = 100_000) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self._prefix = prefix
        self._max_keys = max_keys
        self._data: OrderedDict[str, _Entry] = OrderedDict()

    def _lookup(self, key: str, now: float) -> _Entry | None:
        """Return the live entry for a prefixed key, dropping it if expired."""
        entry = self._data.get(key)
        if entry is None:
            return None
        expires_at = entry[1]
        if expires_at is not None and expires_at <= now:
            del self._data[key]
            return None
        self._data.move_to_end(key)
        return entry

    def _store(self, key: str, entry: _Entry) -> None:
        self._data[key] = entry
        self._data.move_to_end(key)
        while len(self._data) > self._max_keys:
            self._data.popitem(last=False)

    async def get(self, key: str) -> str | None:
        entry = self._lookup(self._prefix + key, time.monotonic())
        return None if entry is None else entry[0]

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        now = time.monotonic()
        entries = [self._lookup(self._prefix + key, now) for key in keys]
        rider = board()
        if rider is not None:
            rider.counted = self._count(rider.key, rider.ttl, now)
        return [None if entry is None else entry[0] for entry in entries]

    async def set(
        self, key: str, value: str, *, ttl: float | None = None, only_if_absent: bool = False
    ) -> bool:
        now = time.monotonic()
        full_key = self._prefix + key
        if only_if_absent and self._lookup(full_key, now) is not None:
            return False
        self._store(full_key, (value, None if ttl is None else now + _positive(ttl)))
        return True

    async def delete(self, *keys: str) -> None:
        for key in keys:
            self._data.pop(self._prefix + key, None)

    async def incr(self, key: str, *, ttl: float) -> tuple[int, float]:
        return self._count(key, ttl, time.monotonic())

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._data.clear()

    def _count(self, key: str, ttl: float, now: float) -> tuple[int, float]:
        full_key = self._prefix + key
        entry = self._lookup(full_key, now)
        # Like Redis INCR: a non-integer value is a caller bug, so let ValueError out.
        count = 1 if entry is None else int(entry[0]) + 1
        if entry is None or entry[1] is None:
            # A new window; a key stored without expiry gets one too, as on Redis.
            remaining = _positive(ttl)
            expires_at = now + remaining
        else:
            expires_at = entry[1]
            remaining = expires_at - now
        self._store(full_key, (str(count), expires_at))
        return count, remaining


def _positive(ttl: float) -> float:
    if ttl <= 0:
        raise ValueError(f"ttl must be positive, got {ttl!r}")
    return ttl
