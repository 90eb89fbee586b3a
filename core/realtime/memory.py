"""In-process pub/sub: the embedded default, one process's subscribers only."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from core.realtime.pubsub import QUEUE_SIZE, Fanout, Subscription, encode

__all__ = ["MemoryPubSub"]


class MemoryPubSub:
    """`PubSub` within one process: with several workers, use Redis (`REDIS_URL`)."""

    def __init__(self, *, queue_size: int = QUEUE_SIZE) -> None:
        self.fanout = Fanout(queue_size=queue_size)

    async def publish(self, channel: str, message: Mapping[str, Any]) -> None:
        self.fanout.deliver(channel, encode(message))

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        with self.fanout.attach(channel) as subscription:
            yield subscription

    async def close(self) -> None:
        return None
