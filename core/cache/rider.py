"""A fixed-window count that rides along with the next read, saving a cache round trip.

The API rate limit counts each request under the caller's identity, which is known only once
the authenticating module has checked the token, right before that module reads the session
from the cache. Rather than a second round trip for the count, the limiter leaves a `Rider`
in the request's context and that read carries it: `Cache.get_many` runs the reads and the
count as one command. Reads outside `riding()` are plain reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["Rider", "board", "riding"]


@dataclass
class Rider:
    """One `Cache.incr(key, ttl=ttl)` waiting for a read to carry it; `counted` is its result."""

    key: str
    ttl: float
    boarded: bool = False
    counted: tuple[int, float] | None = None


_WAITING: ContextVar[Rider | None] = ContextVar("trellis_cache_rider", default=None)


@contextmanager
def riding(rider: Rider) -> Iterator[Rider]:
    """Within the block, the first `get_many` in this context also counts `rider`."""
    token = _WAITING.set(rider)
    try:
        yield rider
    finally:
        _WAITING.reset(token)


def board() -> Rider | None:
    """The rider the calling read must carry, if one waits; each rider boards only once."""
    rider = _WAITING.get()
    if rider is None or rider.boarded:
        return None
    rider.boarded = True
    return rider
