"""`runtime.pubsub`: in-process and on Redis, shared between instances, bounded per subscriber."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator

import pytest

from core.cache import CacheUnavailable
from core.realtime import PubSub, SlowSubscriber, create_pubsub
from core.realtime.memory import MemoryPubSub
from core.realtime.redis import RedisPubSub
from core.testing import random_prefix
from tests.support.redis_server import PrivateRedis

REDIS_URL = os.environ.get("TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set")
WAIT = 5.0


@pytest.fixture(params=["memory", pytest.param("redis", marks=needs_redis)])
async def pubsub(request: pytest.FixtureRequest) -> AsyncIterator[PubSub]:
    url = REDIS_URL if request.param == "redis" else None
    found = create_pubsub(url, prefix=random_prefix(), timeout=1.0)
    yield found
    await found.close()


async def test_a_subscriber_receives_what_is_published_on_its_channel(pubsub: PubSub) -> None:
    async with pubsub.subscribe("room:1") as messages, pubsub.subscribe("room:2") as others:
        await pubsub.publish("room:2", {"type": "elsewhere"})
        await pubsub.publish("room:1", {"type": "hello", "n": 1})
        async with asyncio.timeout(WAIT):
            assert await anext(messages) == {"type": "hello", "n": 1}
            assert await anext(others) == {"type": "elsewhere"}


async def test_each_subscriber_gets_its_own_copy(pubsub: PubSub) -> None:
    async with pubsub.subscribe("c") as first, pubsub.subscribe("c") as second:
        await pubsub.publish("c", {"items": [1]})
        async with asyncio.timeout(WAIT):
            mine = await anext(first)
            mine["items"].append(2)
            assert await anext(second) == {"items": [1]}


async def test_only_json_objects_are_published(pubsub: PubSub) -> None:
    with pytest.raises(TypeError):
        await pubsub.publish("c", ["not", "an", "object"])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        await pubsub.publish("c", {"when": object()})


async def test_a_slow_subscriber_is_dropped_without_holding_up_the_others() -> None:
    pubsub = MemoryPubSub(queue_size=3)
    async with pubsub.subscribe("c") as slow, pubsub.subscribe("c") as fast:
        for n in range(5):
            await pubsub.publish("c", {"n": n})
            assert await anext(fast) == {"n": n}
        with pytest.raises(SlowSubscriber):
            await anext(slow)
    assert pubsub.fanout.subscribers == 0


@needs_redis
async def test_a_message_published_on_one_instance_reaches_every_instance() -> None:
    assert REDIS_URL is not None
    prefix = random_prefix()
    one, two = (RedisPubSub(REDIS_URL, prefix=prefix) for _ in range(2))
    try:
        async with one.subscribe("user:1") as here, two.subscribe("user:1") as there:
            await one.publish("user:1", {"type": "ping"})
            async with asyncio.timeout(WAIT):
                assert await anext(here) == {"type": "ping"}
                assert await anext(there) == {"type": "ping"}
    finally:
        await one.close()
        await two.close()


async def test_the_listener_reconnects_after_a_redis_restart(
    private_redis: PrivateRedis,
) -> None:
    server = private_redis
    pubsub = RedisPubSub(server.url, prefix=random_prefix(), timeout=0.5)
    try:
        async with pubsub.subscribe("c") as messages:
            assert pubsub.listening.is_set()
            await asyncio.to_thread(server.restart)
            async with asyncio.timeout(WAIT):
                # Published until the new connection hears one: pub/sub keeps no history.
                while True:
                    with contextlib.suppress(CacheUnavailable):  # still restarting
                        await pubsub.publish("c", {"type": "back"})
                    try:
                        async with asyncio.timeout(0.2):
                            assert await anext(messages) == {"type": "back"}
                        break
                    except TimeoutError:
                        continue
    finally:
        await pubsub.close()
