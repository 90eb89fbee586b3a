"""An in-process WebSocket client for async tests: the app runs on the test's own event loop.

starlette's TestClient runs the app in a thread of its own, which an app already started by
`make_client` cannot join; this speaks ASGI to it directly. Every wait is bounded. A module's
tests reach it as `client.websocket(url, token=account.access_token)`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message

WAIT = 5.0


class Refused(Exception):
    """The handshake was answered with an HTTP response (a WebSocket denial)."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        super().__init__(f"refused with {status}: {body!r}")
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)


class Closed(Exception):
    """The server closed the socket (before or after accepting it)."""

    def __init__(self, code: int) -> None:
        super().__init__(f"closed with {code}")
        self.code = code


class Socket:
    """An accepted socket: what the server sent, and the subprotocol it selected."""

    def __init__(self, outbox: asyncio.Queue[Message], subprotocol: str | None) -> None:
        self._outbox = outbox
        self.subprotocol = subprotocol

    async def receive_json(self) -> Any:
        """The next message as JSON (within `WAIT`); raises Closed when the server closed."""
        async with asyncio.timeout(WAIT):
            message = await self._outbox.get()
        if message["type"] == "websocket.close":
            raise Closed(message.get("code", 1000))
        return json.loads(message.get("text") or message["bytes"])

    async def closed(self) -> int:
        """Wait for the server's close, skipping messages; its code."""
        try:
            while True:
                await self.receive_json()
        except Closed as closed:
            return closed.code


@asynccontextmanager
async def connect(
    app: ASGIApp, url: str, *, subprotocols: Sequence[str] = ()
) -> AsyncIterator[Socket]:
    """Open a socket to `url` (a path with an optional query); raises Refused or Closed."""
    parts = urlsplit(url)
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    outbox: asyncio.Queue[Message] = asyncio.Queue()
    headers = [(b"host", b"testserver")]
    if subprotocols:
        headers.append((b"sec-websocket-protocol", ", ".join(subprotocols).encode()))
    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "scheme": "ws",
        "path": parts.path,
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "subprotocols": list(subprotocols),
        "extensions": {"websocket.http.response": {}},
    }
    await inbox.put({"type": "websocket.connect"})
    task: asyncio.Future[None] = asyncio.ensure_future(app(scope, inbox.get, outbox.put))
    try:
        async with asyncio.timeout(WAIT):
            first = await outbox.get()
            if first["type"] == "websocket.http.response.start":
                body = b""
                while True:
                    part = await outbox.get()
                    body += part.get("body", b"")
                    if not part.get("more_body", False):
                        break
                found = {k.decode(): v.decode() for k, v in first.get("headers", [])}
                raise Refused(first["status"], found, body)
        if first["type"] == "websocket.close":
            raise Closed(first.get("code", 1000))
        assert first["type"] == "websocket.accept", first
        yield Socket(outbox, first.get("subprotocol"))
    finally:
        await inbox.put({"type": "websocket.disconnect", "code": 1000})
        async with asyncio.timeout(WAIT):
            await asyncio.gather(task, return_exceptions=True)
