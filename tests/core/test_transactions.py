"""One transaction per request, committed before the first byte of the response leaves."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text

from core.app import create_app
from core.runtime import Runtime
from core.settings import Settings
from core.testing import plugins, running


async def test_the_commit_happens_before_the_response_is_sent(settings: Settings) -> None:
    app = create_app(settings, plugins=plugins(["users"], {"users": {"bcrypt_rounds": 4}}))
    runtime: Runtime = app.state.runtime
    body = json.dumps({"email": "first@example.com", "password": "long enough pw"}).encode()
    seen_at_response_start: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            # A client (or another instance) reading now must already see the new row.
            async with runtime.engine.connect() as connection:
                count = await connection.scalar(
                    text("SELECT count(*) FROM users_user WHERE email = 'first@example.com'")
                )
            seen_at_response_start.append(int(count or 0))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/users",
        "raw_path": b"/api/v1/users",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    async with running(app):
        await app(scope, receive, send)
    assert seen_at_response_start == [1]
