"""The pub/sub contract, and the local fan-out both backends deliver through.

A message is a JSON object, encoded once when published and decoded by each subscriber, so
no subscriber sees another's changes and a backend never matters to the code using it. Every
local subscriber has a bounded queue: one that falls `queue_size` messages behind is dropped
(its next read raises `SlowSubscriber`) instead of holding up delivery to the others or
growing without limit.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Mapping
from contextlib import AbstractAsyncContextManager, contextmanager
from typing import Any, Protocol

__all__ = [
    "QUEUE_SIZE",
    "Fanout",
    "PubSub",
    "SlowSubscriber",
    "Subscription",
    "encode",
]

QUEUE_SIZE = 100  # messages a subscriber may fall behind before it is dropped


class SlowSubscriber(Exception):
    """The subscriber did not keep up with its channel and was dropped."""


class Subscription:
    """What `subscribe` yields: the channel's messages, in order, as dicts."""

    def __init__(self, channel: str, *, queue_size: int = QUEUE_SIZE) -> None:
        self.channel = channel
        self.dropped = False
        self._queue: asyncio.Queue[str] = asyncio.Queue(max(1, queue_size))

    def offer(self, data: str) -> None:
        """Queue one encoded message; never waits. A full queue drops the subscriber."""
        if self.dropped:
            return
        try:
            self._queue.put_nowait(data)
        except asyncio.QueueFull:
            self.dropped = True

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> dict[str, Any]:
        if self.dropped:  # a full queue: the reader is not waiting, it learns here
            raise SlowSubscriber(f"fell {self._queue.maxsize} messages behind on {self.channel}")
        message: dict[str, Any] = json.loads(await self._queue.get())
        return message


class PubSub(Protocol):
    """`runtime.pubsub`: channels every instance of the deployment shares.

    Delivery is at most once: a message published while an instance's link to Redis is
    down is not delivered there, so subscribers keep their own way of catching up.
    """

    async def publish(self, channel: str, message: Mapping[str, Any]) -> None:
        """Send a JSON object to every current subscriber of `channel`, on every instance."""

    def subscribe(self, channel: str) -> AbstractAsyncContextManager[Subscription]:
        """`async with pubsub.subscribe(channel) as messages: async for message in messages`.

        Messages published after the block is entered are delivered, while it lasts.
        """

    async def close(self) -> None:
        """Let go of connections and background work (the runtime's shutdown)."""


class Fanout:
    """The local subscribers by channel; delivery to each never waits for another."""

    def __init__(self, *, queue_size: int = QUEUE_SIZE) -> None:
        self.queue_size = queue_size
        self._channels: dict[str, set[Subscription]] = {}

    @property
    def subscribers(self) -> int:
        return sum(len(subscriptions) for subscriptions in self._channels.values())

    @contextmanager
    def attach(self, channel: str) -> Iterator[Subscription]:
        subscription = Subscription(channel, queue_size=self.queue_size)
        self._channels.setdefault(channel, set()).add(subscription)
        try:
            yield subscription
        finally:
            remaining = self._channels.get(channel, set())
            remaining.discard(subscription)
            if not remaining:
                self._channels.pop(channel, None)

    def deliver(self, channel: str, data: str) -> None:
        for subscription in tuple(self._channels.get(channel, ())):
            subscription.offer(data)


def encode(message: Mapping[str, Any]) -> str:
    """The wire form of a message; raises TypeError for anything not JSON."""
    if not isinstance(message, Mapping):
        raise TypeError(f"a message is a JSON object, not {type(message).__name__}")
    return json.dumps(message, separators=(",", ":"), allow_nan=False)
