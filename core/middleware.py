"""Request-edge middleware: request ids, body limits, and the order they are installed in.

Pure ASGI classes rather than `BaseHTTPMiddleware`, which costs a task and a memory
stream per request. Every response they produce is problem+json.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.body import BodyLimitMiddleware
from core.head import HeadAsGetMiddleware
from core.input_sanity import InputSanityMiddleware

__all__ = [
    "BodyLimitMiddleware",
    "InputSanityMiddleware",
    "RequestIdMiddleware",
    "install_middleware",
    "request_id_var",
]

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

_SANE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")


def install_middleware(
    app: FastAPI, *, max_body_bytes: int, cors_origins: list[str], body_timeout: float = 10.0
) -> None:
    """Install the edge middleware, outermost first:

    RequestId -> CORS -> BodyLimit -> InputSanity -> HeadAsGet -> (FastAPI's exception
    middleware, routes).

    RequestId is outermost so every response, including CORS preflights and the 408/413/422
    produced below it, carries X-Request-ID. CORS wraps the rejecting middleware so a
    browser can read their errors. BodyLimit sits above InputSanity, which buffers bodies.
    """
    # add_middleware prepends: add innermost first.
    app.add_middleware(HeadAsGetMiddleware)
    app.add_middleware(InputSanityMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes, timeout=body_timeout)
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
        request_id = _client_request_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        header = (b"x-request-id", request_id.encode("ascii"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", ()) if h[0].lower() != header[0]]
                message = {**message, "headers": [*headers, header]}
            await send(message)

        token = request_id_var.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)


def _client_request_id(scope: Scope) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == b"x-request-id":
            return value.decode("ascii") if _SANE_REQUEST_ID.fullmatch(value) else None
    return None
