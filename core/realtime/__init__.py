"""Real-time: publish/subscribe between processes, and authenticated WebSockets.

`runtime.pubsub` carries JSON messages on named channels, through Redis when `REDIS_URL` is
set (every instance hears every other) and in-process otherwise. `core.realtime.sockets`
authenticates a WebSocket by the access token its client offers as a subprotocol.
"""

from __future__ import annotations

from core.realtime.pubsub import PubSub, SlowSubscriber, Subscription

__all__ = ["PubSub", "SlowSubscriber", "Subscription", "create_pubsub"]


def create_pubsub(redis_url: str | None, *, prefix: str, timeout: float) -> PubSub:
    """Redis pub/sub when a URL is given (channels under `prefix`), else in-process.

    `timeout` bounds each wait on Redis, as the cache's `CACHE_TIMEOUT` does.
    """
    # Imported here: an app without Redis should not import redis-py at all.
    if redis_url:
        from core.realtime.redis import RedisPubSub

        return RedisPubSub(redis_url, prefix=prefix, timeout=timeout)
    from core.realtime.memory import MemoryPubSub

    return MemoryPubSub()
