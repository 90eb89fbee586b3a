"""`/notes/live`: one socket forwarding its owner's note events until it must close.

The minimal correct socket: subscribe before accepting (nothing published after the
handshake is missed), never outlive the token, and drop a client that does not keep up.
`modules/notifications/sockets.py` adds rechecking the token and closing on revocation.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

from core import Principal, Runtime, SlowSubscriber, accept_socket, seconds_left

from trellis_notes.tasks import channel_of

# Close codes (RFC 6455 leaves 4000-4999 to applications), listed in the README.
TOKEN_EXPIRED = 4002  # refresh the access token, then reconnect
TOO_SLOW = 4003  # messages were not read fast enough; reconnect
SEND_TIMEOUT = 10.0  # a client not taking one message this long is too slow
CLOSE_TIMEOUT = 1.0


async def serve_live(websocket: WebSocket, *, runtime: Runtime, principal: Principal) -> None:
    """Forward the owner's note events until the client leaves or the socket must close."""
    async with runtime.pubsub.subscribe(channel_of(principal.id)) as messages:
        await accept_socket(websocket)
        forwarding = asyncio.create_task(_forward(websocket, messages))
        leaving = asyncio.create_task(_until_client_leaves(websocket))
        try:
            done, _ = await asyncio.wait(
                {forwarding, leaving},
                timeout=seconds_left(principal),
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            forwarding.cancel()
            leaving.cancel()
            await asyncio.gather(forwarding, leaving, return_exceptions=True)
    if not done:
        await _close(websocket, TOKEN_EXPIRED)
        return
    error = None if leaving in done else forwarding.exception()
    if isinstance(error, SlowSubscriber | TimeoutError):
        await _close(websocket, TOO_SLOW)
    elif error is not None and not isinstance(error, WebSocketDisconnect | OSError):
        raise error  # the core logs it with the request id and closes the socket with 1011


async def _forward(websocket: WebSocket, messages: AsyncIterator[dict[str, Any]]) -> None:
    async for message in messages:  # SlowSubscriber once 100 messages behind
        async with asyncio.timeout(SEND_TIMEOUT):
            await websocket.send_json(message)


async def _until_client_leaves(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends until it disconnects."""
    while (await websocket.receive())["type"] != "websocket.disconnect":
        pass


async def _close(websocket: WebSocket, code: int) -> None:
    """Close with `code`, unless the client is already gone."""
    with contextlib.suppress(WebSocketDisconnect, OSError, RuntimeError, TimeoutError):
        async with asyncio.timeout(CLOSE_TIMEOUT):
            await websocket.close(code)
