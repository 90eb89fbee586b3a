"""One notifications socket, from the handshake to its close.

It subscribes to the user's channel before it is accepted, then checks the token once more:
a revocation committed before that check refuses the socket, one committed after reaches the
subscription, so none falls in between. Open, it forwards the channel's messages and closes
itself when its own session is revoked (after sending that event), when its token expires
(the client reconnects with a fresh one), or when it falls behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

from core import (
    NotAuthenticated,
    Principal,
    Runtime,
    SlowSubscriber,
    accept_socket,
    reauthenticate,
    seconds_left,
)
from modules.notifications.service import channel_of

log = logging.getLogger(__name__)

# Close codes (RFC 6455 leaves 4000-4999 to applications); README "Real-time" lists them.
SESSION_REVOKED = 4001  # sign in again: this session's tokens no longer work
TOKEN_EXPIRED = 4002  # refresh the access token, then reconnect
TOO_SLOW = 4003  # messages were not read fast enough; reconnect
INTERNAL_ERROR = 1011
SEND_TIMEOUT = 10.0  # a client not taking a message this long is treated as too slow
CLOSE_TIMEOUT = 1.0


async def serve_socket(
    websocket: WebSocket, *, runtime: Runtime, principal: Principal, recheck_seconds: float
) -> None:
    """Stream the user's events until the client leaves or the socket must close."""
    async with runtime.pubsub.subscribe(channel_of(principal.id)) as messages:
        if await reauthenticate(websocket) is None:
            raise NotAuthenticated("The access token is invalid, expired or revoked.")
        await accept_socket(websocket)
        code = await _run(websocket, messages, principal, recheck_seconds)
    log.info("notifications socket of user %s ended (%s)", principal.id, code or "client left")
    if code is not None:
        with contextlib.suppress(WebSocketDisconnect, OSError, RuntimeError, TimeoutError):
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await websocket.close(code)


async def _run(
    websocket: WebSocket, messages: Any, principal: Principal, recheck_seconds: float
) -> int | None:
    """The close code the socket ends with; None when the client left first."""
    tasks = {
        asyncio.create_task(_until_client_leaves(websocket)),
        asyncio.create_task(_forward(websocket, messages, principal)),
        asyncio.create_task(_recheck(websocket, recheck_seconds)),
    }
    try:
        done, _ = await asyncio.wait(
            tasks, timeout=seconds_left(principal), return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    if not done:
        return TOKEN_EXPIRED
    return _code_of(done.pop())


def _code_of(task: asyncio.Task[int | None]) -> int | None:
    error = task.exception()
    if error is None:
        return task.result()
    if isinstance(error, SlowSubscriber | TimeoutError):
        return TOO_SLOW
    if isinstance(error, WebSocketDisconnect | OSError):
        return None
    log.error("notifications socket failed", exc_info=error)
    return INTERNAL_ERROR


async def _until_client_leaves(websocket: WebSocket) -> int | None:
    """Read (and ignore) what the client sends until it disconnects."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return None


async def _forward(websocket: WebSocket, messages: Any, principal: Principal) -> int | None:
    async for message in messages:
        current = False
        if message.get("type") == "session.revoked":
            current = str(principal.session_id) in message.get("session_ids", ())
            message["current"] = current
        async with asyncio.timeout(SEND_TIMEOUT):
            await websocket.send_json(message)
        if current:
            return SESSION_REVOKED
    return None


async def _recheck(websocket: WebSocket, interval: float) -> int | None:
    """Close a socket whose token stopped working without its event reaching us."""
    while True:
        await asyncio.sleep(interval)
        try:
            if await reauthenticate(websocket) is None:
                return SESSION_REVOKED
        except Exception as error:  # an outage: the next check tries again
            log.debug("notifications socket could not recheck its token: %r", error)
