"""One transaction per request, committed before the first byte of the response leaves."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text

from core.app import create_app
from core.db import on_commit, on_rollback
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


async def test_commit_and_rollback_actions_run_only_for_their_outcome(settings: Settings) -> None:
    app = create_app(settings, plugins=plugins(["health"]))
    runtime: Runtime = app.state.runtime
    journal: list[str] = []

    async def note(text: str) -> None:
        journal.append(text)

    async with runtime.transaction() as session:
        on_commit(session, lambda: note("committed"))
        on_rollback(session, lambda: note("rolled back"))
    assert journal == ["committed"]

    async def failing_work() -> None:
        async with runtime.transaction() as session:
            on_commit(session, lambda: note("committed"))
            on_rollback(session, lambda: note("rolled back"))
            raise RuntimeError("the work failed")

    journal.clear()
    with pytest.raises(RuntimeError, match="the work failed"):
        await failing_work()
    assert journal == ["rolled back"]
    await runtime.close()
