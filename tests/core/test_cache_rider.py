"""A count riding on a read (`core.cache.rider`): the read's values, and the count exactly as
`Cache.incr` would make it, on both backends."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest

from core.cache import Cache, create_cache
from core.cache.rider import Rider, riding

REDIS_URL = os.environ.get("TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="set TEST_REDIS_URL to test Redis")


@pytest.fixture(params=["memory", pytest.param("redis", marks=needs_redis)])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[Cache]:
    """A cache under a prefix of its own; its few keys expire within a minute."""
    url = REDIS_URL if request.param == "redis" else None
    opened = create_cache(url, prefix=f"test:{uuid.uuid4().hex}:")
    yield opened
    await opened.delete("a", "hits")
    await opened.close()


async def test_a_read_carries_the_waiting_count_once(cache: Cache) -> None:
    await cache.set("a", "1")
    rider = Rider("hits", ttl=60)
    with riding(rider):
        assert await cache.get_many(["a", "missing"]) == ["1", None]
        assert await cache.get_many(["a"]) == ["1"]  # boarded already: a plain read
    assert rider.counted is not None
    count, remaining = rider.counted
    assert count == 1
    assert 0 < remaining <= 60
    count, later = await cache.incr("hits", ttl=60)
    assert count == 2
    assert later <= remaining  # the same window, not a new one


async def test_a_count_rides_on_a_read_of_no_key(cache: Cache) -> None:
    rider = Rider("hits", ttl=5)
    with riding(rider):
        assert await cache.get_many([]) == []
    assert rider.counted is not None
    assert rider.counted[0] == 1


async def test_reads_outside_riding_count_nothing(cache: Cache) -> None:
    rider = Rider("hits", ttl=5)
    with riding(rider):
        pass
    assert await cache.get_many(["hits"]) == [None]
    assert rider.counted is None
