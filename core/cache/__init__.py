"""Key-value cache the core and modules share: Redis when configured, else in-process.

Backends prepend their own key prefix and store `str` values only, so callers never
depend on which backend runs. Redis failures surface as `CacheUnavailable`, which the
core maps to a 503 rather than letting a cache outage look like a bug.
"""

from __future__ import annotations

from core.cache.base import Cache, CacheUnavailable

__all__ = ["Cache", "CacheUnavailable", "create_cache"]


def create_cache(redis_url: str | None, *, prefix: str = "trellis:", timeout: float = 1.0) -> Cache:
    """Build the Redis backend when a URL is given, else the in-process one.

    `timeout` bounds each wait on Redis (connecting, a free pooled connection, an answer).
    """
    # Imported here: an app without Redis should not import redis-py at all.
    if redis_url:
        from core.cache.redis import RedisCache

        return RedisCache(redis_url, prefix=prefix, timeout=timeout)
    from core.cache.memory import MemoryCache

    return MemoryCache(prefix=prefix)
