"""Request-body limits at the edge: how large a body may be, and how long it may take to arrive.

The ASGI server reads a body only as the app asks for it, and never gives up on its own: a
client declaring `Content-Length: 100` and sending 7 bytes would hold its connection (and a
worker's request slot) forever. Both limits answer problem+json.
"""

from __future__ import annotations

import asyncio

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.errors import problem_response

__all__ = ["BodyLimitMiddleware"]


class _BodyTooLarge(HTTPException):
    """Raised from `receive`; FastAPI re-raises HTTPExceptions met while reading a body."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"The request body is larger than {max_bytes} bytes.")


class _BodyTooSlow(HTTPException):
    """Raised from `receive` like `_BodyTooLarge`; the rest of the body may still be in flight,
    so the connection cannot carry another request: the response closes it (RFC 9110, 408).
    """

    def __init__(self, timeout: float) -> None:
        detail = f"The request body did not arrive within {timeout:g} seconds."
        super().__init__(408, detail, headers={"Connection": "close"})


class BodyLimitMiddleware:
    """413 for bodies over `max_bytes` (by Content-Length or by counting chunks); 408 for a
    body not complete `timeout` seconds after the app first asked for it.

    The time limit covers the whole body, not each chunk, so a client trickling a byte at a
    time gains nothing. Once the body is complete, `receive` waits for a disconnect as long
    as the app wants (streaming responses do).
    """

    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float = 10.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length, chunked = _framing(scope)
        if not chunked and (
            length == "0" or (length is None and scope.get("http_version", "1.1") < "2")
        ):
            # No body: nothing can be too large or too slow (most GETs). Without Content-Length
            # or Transfer-Encoding HTTP/1.x has none (RFC 9112 §6.3); HTTP/2 frames a body
            # without either header, so there only `Content-Length: 0` says so.
            await self.app(scope, receive, send)
            return
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await _reject(_BodyTooLarge(self.max_bytes), scope, receive, send)
            return

        received = 0
        complete = False
        deadline: float | None = None
        started = False

        async def limited_receive() -> Message:
            nonlocal received, complete, deadline
            if complete:
                return await receive()
            if deadline is None:
                deadline = asyncio.get_running_loop().time() + self.timeout
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise _BodyTooSlow(self.timeout) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge(self.max_bytes)
            complete = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except (_BodyTooLarge, _BodyTooSlow) as exc:
            # Inside FastAPI's routes the exception handler already answered; this
            # catches reads made by middleware (InputSanity) or plain ASGI apps.
            if started:
                raise
            await _reject(exc, scope, receive, send)


def _framing(scope: Scope) -> tuple[str | None, bool]:
    """The request's Content-Length, and whether it has a Transfer-Encoding, in one pass."""
    length = None
    chunked = False
    for key, value in scope.get("headers", ()):
        name = key.lower()
        if name == b"content-length" and length is None:
            length = bytes(value).decode("latin-1")
        elif name == b"transfer-encoding":
            chunked = True
    return length, chunked


async def _reject(exc: HTTPException, scope: Scope, receive: Receive, send: Send) -> None:
    response = problem_response(exc.status_code, detail=exc.detail, headers=exc.headers)
    await response(scope, receive, send)
