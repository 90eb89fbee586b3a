"""A WebSocket route's unhandled error: closed with 1011, logged with the request id.

Starlette's error handlers answer HTTP only; an error escaping a socket route would reach
the server, which answers a plain 500 (or drops the connection) and logs it without the
request id. Problems a route raises on purpose before accepting (401, 403) are still denial
responses in problem+json (`core.errors`); everything else ends here. A browser learns
nothing from a refused handshake but "1006", so the socket is accepted and closed with 1011
(internal error) and the request id as the reason: no traceback ever reaches the client.
"""

from __future__ import annotations

import logging
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect

logger = logging.getLogger("trellis.errors")

INTERNAL_ERROR = 1011


class LateResponse(RuntimeError):
    """An error handler answered a socket that was already accepted."""


class WebSocketErrorMiddleware:
    """Innermost middleware: sees every socket message, so it knows what may still be sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        state = {"accepted": False, "finished": False}

        async def watched_receive() -> Message:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                state["finished"] = True
            return message

        async def watched_send(message: Message) -> None:
            kind = message["type"]
            if kind.startswith("websocket.http.response") and state["accepted"]:
                # A handled error (a ProblemError, an outage's 503) once the socket is open:
                # its problem+json can no longer be sent, so it ends as an unexpected one.
                raise LateResponse("an error response after the socket was accepted")
            if kind == "websocket.accept":
                state["accepted"] = True
            elif kind in ("websocket.close", "websocket.http.response.start"):
                state["finished"] = True
            await send(message)

        try:
            await self.app(scope, watched_receive, watched_send)
        except WebSocketDisconnect:
            return  # the client left while the route waited on it: nothing went wrong here
        except Exception as error:
            request_id = _request_id(scope)
            logger.error(
                "unhandled error on WEBSOCKET %r request_id=%s",
                scope.get("path", ""),
                request_id,
                exc_info=error,
            )
            if state["finished"]:
                return
            if not state["accepted"]:
                await send({"type": "websocket.accept"})
            reason = f"Internal error (request {request_id})"
            await send({"type": "websocket.close", "code": INTERNAL_ERROR, "reason": reason})


def _request_id(scope: Scope) -> str:
    request_id = scope.get("state", {}).get("request_id")
    return request_id if isinstance(request_id, str) else uuid.uuid4().hex
