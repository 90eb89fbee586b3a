"""What every cache backend is: the `Cache` protocol, and the error an outage raises."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class CacheUnavailable(Exception):
    """The cache backend cannot be reached or did not answer in time."""


class Cache(Protocol):
    """Async string cache; keys are unprefixed here, TTLs are seconds."""

    async def get(self, key: str) -> str | None:
        """Return the value, or None when missing or expired."""
        ...

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        """Return values in the order of `keys` (None for misses), in one round trip.

        A count waiting in this context (`core.cache.rider`) rides in the same round trip.
        """
        ...

    async def set(
        self, key: str, value: str, *, ttl: float | None = None, only_if_absent: bool = False
    ) -> bool:
        """Store `value`; return False only when `only_if_absent` and the key existed."""
        ...

    async def delete(self, *keys: str) -> None:
        """Remove the keys; missing keys are ignored."""
        ...

    async def incr(self, key: str, *, ttl: float) -> tuple[int, float]:
        """Count one hit in a fixed window of `ttl` seconds, atomically.

        The expiry is set only when the window starts, so later hits never extend it.
        Returns the count so far and the seconds until the window resets.
        """
        ...

    async def ping(self) -> None:
        """Return when the backend answers; raise `CacheUnavailable` otherwise."""
        ...

    async def close(self) -> None:
        """Release connections; the cache must not be used afterwards."""
        ...
