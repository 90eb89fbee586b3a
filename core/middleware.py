"""Request-edge middleware: request ids, load shedding, body limits, and their order.

Pure ASGI classes rather than `BaseHTTPMiddleware`, which costs a task and a memory
stream per request. Every response they produce is problem+json.
"""

from __future__ import annotations

import random
import re
from collections.abc import Collection
from contextvars import ContextVar

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.body import BodyLimitMiddleware
from core.head import HeadAsGetMiddleware
from core.input_sanity import InputSanityMiddleware
from core.shedding import LoadSheddingMiddleware

__all__ = [
    "BodyLimitMiddleware",
    "InputSanityMiddleware",
    "LoadSheddingMiddleware",
    "RequestIdMiddleware",
    "install_middleware",
    "request_id_var",
]

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

_SANE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")


def install_middleware(
    app: FastAPI,
    *,
    max_body_bytes: int,
    cors_origins: list[str],
    body_timeout: float = 10.0,
    max_in_flight: int = 0,
    in_flight_wait: float = 0.5,
    shed_exempt: Collection[str] = (),
) -> None:
    """Install the edge middleware, outermost first:

    RequestId -> CORS -> LoadShedding -> BodyLimit -> InputSanity -> HeadAsGet -> (FastAPI's
    exception middleware, routes).

    RequestId is outermost so every response, including CORS preflights and the 408/413/422
    and 503 produced below it, carries X-Request-ID. CORS wraps the rejecting middleware so a
    browser can read their errors. LoadShedding (`max_in_flight` 0: none) refuses before any
    work is done. BodyLimit sits above InputSanity, which buffers bodies.
    """
    # add_middleware prepends: add innermost first.
    app.add_middleware(HeadAsGetMiddleware)
    app.add_middleware(InputSanityMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes, timeout=body_timeout)
    if max_in_flight:
        app.add_middleware(
            LoadSheddingMiddleware,
            max_in_flight=max_in_flight,
            max_wait=in_flight_wait,
            exempt=shed_exempt,
        )
    if cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID"],
        )
    app.add_middleware(RequestIdMiddleware)


class RequestIdMiddleware:
    """Give each request an id: the client's `X-Request-ID` when sane, else a new one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = _client_request_id(scope) or _new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        header = (b"x-request-id", request_id.encode("ascii"))

        async def send_with_id(message: Message) -> None:
            # A refused WebSocket handshake is answered by an HTTP response too.
            if message["type"] in ("http.response.start", "websocket.http.response.start"):
                headers = [h for h in message.get("headers", ()) if h[0].lower() != header[0]]
                message = {**message, "headers": [*headers, header]}
            await send(message)

        token = request_id_var.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)


def _new_request_id() -> str:
    """128 random bits, as unique as a uuid4, without its system call per request (os.urandom
    cost a twentieth of a `GET /health`). They need not be secret: clients choose their own.
    `random` reseeds itself in a forked child, so workers never share a sequence."""
    return f"{random.getrandbits(128):032x}"


def _client_request_id(scope: Scope) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == b"x-request-id":
            return value.decode("ascii") if _SANE_REQUEST_ID.fullmatch(value) else None
    return None
