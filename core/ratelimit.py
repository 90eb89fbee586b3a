"""Fixed-window rate limits on the core cache, so every instance sharing Redis counts together.

The API limit counts a signed-in caller under their id, known only once the token is checked.
So that the count costs no round trip of its own, `consume_as` lets the authenticating
module's cache read carry it (`read_as_caller`, `core.cache.rider`). A token that then turns
out revoked has been counted for the user it was issued to, and its request is counted again
under the client's address.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from uuid import UUID

from core.cache import Cache
from core.cache.rider import Rider, riding
from core.errors import ProblemError
from core.metrics.standard import RATE_LIMITED

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)\s*$")


@dataclass(frozen=True)
class Rate:
    """`limit` events per `window` seconds, written in settings as e.g. "100/minute"."""

    limit: int
    window: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        match = _RATE.match(text)
        if not match or int(match[1]) < 1:
            raise ValueError(f"expected a rate like '100/minute', got {text!r}")
        return cls(limit=int(match[1]), window=_UNITS[match[2]])

    def __str__(self) -> str:
        unit = next(name for name, seconds in _UNITS.items() if seconds == self.window)
        return f"{self.limit}/{unit}"


class RateLimited(ProblemError):
    status = 429
    title = "Too Many Requests"


def limit_key(bucket: str, identity: str) -> str:
    """Cache key for one bucket and caller; the caller is hashed so no e-mail sits in Redis."""
    digest = hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"rl:{bucket}:{digest}"


def _headers(rate: Rate, remaining: int, reset: float) -> dict[str, str]:
    seconds = str(max(1, math.ceil(reset)))
    return {
        "RateLimit-Limit": str(rate.limit),
        "RateLimit-Remaining": str(max(0, remaining)),
        "RateLimit-Reset": seconds,
        "RateLimit-Policy": f"{rate.limit};w={rate.window}",
    }


def refusal(rate: Rate, reset: float, detail: str) -> RateLimited:
    headers = _headers(rate, 0, reset)
    headers["Retry-After"] = headers["RateLimit-Reset"]
    return RateLimited(detail, headers=headers)


async def consume(cache: Cache, *, bucket: str, identity: str, rate: Rate) -> dict[str, str]:
    """Count one event; raises RateLimited past the limit, else returns the RateLimit headers."""
    count, reset = await cache.incr(limit_key(bucket, identity), ttl=rate.window)
    return _judged(bucket, rate, count, reset)


def caller_identity(caller: UUID) -> str:
    """The identity a signed-in caller is counted under, in every bucket."""
    return f"user:{caller}"


@dataclass
class _Waiting:
    """A limit waiting to learn whom to count, and the count a read carried for it."""

    bucket: str
    rate: Rate
    carried: tuple[str, Rider] | None = None  # the identity counted, and how


_WAITING: ContextVar[_Waiting | None] = ContextVar("trellis_rate_waiting", default=None)


async def consume_as(
    cache: Cache, *, bucket: str, rate: Rate, identify: Callable[[], Awaitable[str]]
) -> dict[str, str]:
    """`consume` for the identity `identify()` returns; a read it makes through
    `read_as_caller` carries the count, else the count costs a round trip of its own."""
    waiting = _Waiting(bucket, rate)
    token = _WAITING.set(waiting)
    try:
        identity = await identify()
    finally:
        _WAITING.reset(token)
    counted = None
    if waiting.carried is not None and waiting.carried[0] == identity:
        counted = waiting.carried[1].counted  # None if no read happened after all
    if counted is None:
        return await consume(cache, bucket=bucket, identity=identity, rate=rate)
    return _judged(bucket, rate, *counted)


@contextmanager
def read_as_caller(caller: UUID) -> Iterator[None]:
    """Within: the next cache read also counts `caller` for a limit waiting in `consume_as`.

    An authenticating module wraps the read it makes for every request in it, once the
    token's signature names the caller; outside `consume_as` it changes nothing.
    """
    waiting = _WAITING.get()
    if waiting is None or waiting.carried is not None:
        yield
        return
    identity = caller_identity(caller)
    rider = Rider(limit_key(waiting.bucket, identity), waiting.rate.window)
    waiting.carried = (identity, rider)
    with riding(rider):
        yield


def _judged(bucket: str, rate: Rate, count: int, reset: float) -> dict[str, str]:
    if count > rate.limit:
        RATE_LIMITED.labels(bucket).inc()
        raise refusal(rate, reset, "Too many requests. Retry after the time in Retry-After.")
    return _headers(rate, rate.limit - count, reset)
