"""Fixed-window rate limits on the core cache, so every instance sharing Redis counts together."""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass

from core.cache import Cache
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
    if count > rate.limit:
        RATE_LIMITED.labels(bucket).inc()
        raise refusal(rate, reset, "Too many requests. Retry after the time in Retry-After.")
    return _headers(rate, rate.limit - count, reset)
