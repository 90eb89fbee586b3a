"""Redis pub/sub: every instance sharing `REDIS_URL` hears every message.

Each process keeps one subscriber connection, subscribed to one pattern covering every
channel under the deployment's prefix, and hands each message to its own local subscribers
(`Fanout`). One pattern rather than a SUBSCRIBE per channel: a local subscription is then
live the moment it is registered (no round trip, no window in which a message is missed),
and a reconnect has one thing to restore. The price is that every instance receives every
channel's messages and drops those nobody here listens to: right for account events and
modest traffic, not for a firehose.

Every wait is bounded. The connection is pinged when quiet: a Redis that stops answering is
given up `HEARTBEAT` plus `timeout` seconds later, and a dropped one at once; the listener
then reconnects, waiting `FIRST_RETRY` doubling up to `LAST_RETRY` between attempts.
Messages published meanwhile are lost to this instance (pub/sub keeps no history).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub as RedisClientPubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from core.cache.base import CacheUnavailable
from core.realtime.pubsub import QUEUE_SIZE, Fanout, Subscription, encode

__all__ = ["RedisPubSub"]

log = logging.getLogger("trellis.pubsub")

HEARTBEAT = 2.0  # seconds of silence before the listener pings Redis
FIRST_RETRY = 0.1
LAST_RETRY = 2.0
_GLOB = re.compile(r"([*?\[\]\\])")


class RedisPubSub:
    """`PubSub` on Redis, one listening connection per process."""

    def __init__(
        self, url: str, *, prefix: str, timeout: float = 1.0, queue_size: int = QUEUE_SIZE
    ) -> None:
        self.fanout = Fanout(queue_size=queue_size)
        self._prefix = f"{prefix}pubsub:"
        self._timeout = timeout
        self._client = Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
            decode_responses=True,
        )
        self._listener: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()  # set while the pattern subscription stands

    async def publish(self, channel: str, message: Mapping[str, Any]) -> None:
        data = encode(message)
        try:
            await self._client.publish(self._prefix + channel, data)
        except (RedisError, OSError) as error:
            raise CacheUnavailable(f"redis: {error}") from error

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        if self._listener is None or self._listener.done():
            self._listener = asyncio.get_running_loop().create_task(self._listen_forever())
        with self.fanout.attach(channel) as subscription:
            # Bounded: with Redis down the subscriber still gets what follows its return.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._timeout):
                    await self.listening.wait()
            yield subscription

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._client.aclose()

    async def _listen_forever(self) -> None:
        delay = FIRST_RETRY
        while True:
            try:
                await self._listen()
            except (RedisError, OSError, TimeoutError) as error:
                if self.listening.is_set():
                    log.warning("pub/sub lost its Redis connection (%r); reconnecting", error)
                    delay = FIRST_RETRY
                self.listening.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, LAST_RETRY)

    async def _listen(self) -> None:
        pubsub = self._client.pubsub()
        try:
            await pubsub.psubscribe(_GLOB.sub(r"\\\1", self._prefix) + "*")
            await self._relay(pubsub)
        finally:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _relay(self, pubsub: RedisClientPubSub) -> None:
        loop = asyncio.get_running_loop()
        heard = loop.time()
        while True:
            message = await pubsub.get_message(timeout=HEARTBEAT)
            if message is None:
                if loop.time() - heard > HEARTBEAT + self._timeout:
                    raise TimeoutError("Redis stopped answering the pub/sub connection")
                await pubsub.ping()
                continue
            heard = loop.time()
            kind = message["type"]
            if kind == "pmessage":
                channel = str(message["channel"])
                self.fanout.deliver(channel.removeprefix(self._prefix), str(message["data"]))
            elif kind == "psubscribe" and not self.listening.is_set():
                self.listening.set()
                log.debug("pub/sub listening on Redis")
