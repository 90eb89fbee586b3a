"""A request body that never finishes arriving: 408 problem+json, and the connection closed."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from pydantic import BaseModel
from sqlalchemy import create_engine, text

from core.errors import install_error_handlers
from core.middleware import install_middleware
from core.settings import Settings
from core.testing import TEST_SECRET, running
from tests.support.processes import free_port, stop, wait_until_up

PROBLEM = "application/problem+json"
TIMEOUT = 1.0
# The body timeout, and slack for a loaded machine; the bug held the connection for minutes.
BOUND = TIMEOUT + 2.0


class Signup(BaseModel):
    name: str


def build_app() -> FastAPI:
    app = FastAPI()

    @app.post("/signup")  # JSON: InputSanityMiddleware reads the body before the route
    async def signup(body: Signup) -> dict[str, str]:
        return {"name": body.name}

    @app.post("/raw")  # no JSON: the route reads the body itself
    async def raw(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    install_error_handlers(app)
    install_middleware(app, max_body_bytes=1000, cors_origins=[], body_timeout=TIMEOUT)
    return app


async def _stalls_after(first: bytes) -> AsyncIterator[bytes]:
    yield first
    await asyncio.sleep(3600)


async def _trickles(data: bytes) -> AsyncIterator[bytes]:
    for byte in data:
        yield bytes([byte])
        await asyncio.sleep(TIMEOUT / 4)


@pytest.mark.parametrize("path", ["/signup", "/raw"])
async def test_a_stalled_body_is_408_in_process(path: str) -> None:
    async with running(build_app()) as client:
        started = time.monotonic()
        response = await client.post(
            path,
            content=_stalls_after(b'{"name'),
            headers={"content-type": "application/json", "content-length": "100"},
        )
    assert time.monotonic() - started < BOUND
    assert response.status_code == 408
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["connection"] == "close"
    assert response.json()["status"] == 408


async def test_a_trickled_body_is_408_however_often_bytes_come() -> None:
    body = json.dumps({"name": "x" * 40}).encode()
    async with running(build_app()) as client:
        started = time.monotonic()
        response = await client.post(
            "/signup", content=_trickles(body), headers={"content-type": "application/json"}
        )
    assert time.monotonic() - started < BOUND
    assert response.status_code == 408


async def test_a_body_in_time_passes_and_is_not_timed_afterwards() -> None:
    async with running(build_app()) as client:
        response = await client.post("/signup", json={"name": "ann"})
        assert response.status_code == 200
        assert response.json() == {"name": "ann"}
        streamed = await client.post("/raw", content=_trickles(b"abc"))
        assert streamed.json() == {"size": 3}


async def test_an_empty_body_passes_untimed_and_is_validated_as_empty() -> None:
    # `Content-Length: 0` has nothing to limit: the request goes straight to the app.
    empty = {"content-length": "0"}
    async with running(build_app()) as client:
        raw = await client.post("/raw", headers=empty)
        assert raw.json() == {"size": 0}
        signup = await client.post("/signup", headers={**empty, "content-type": "application/json"})
    assert signup.status_code == 422
    assert signup.headers["content-type"] == PROBLEM


@pytest.fixture
def api(settings: Settings, tmp_path: Path) -> Iterator[str]:
    """A uvicorn process of the users module, with a one-second body timeout."""
    plugins_file = tmp_path / "plugins.toml"
    plugins_file.write_text('enabled = ["users"]\n\n[modules.users]\nbcrypt_rounds = 4\n')
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FIRST_SUPERUSER_", "TRELLIS_", "TEST_", "DATABASE_", "REDIS_"))
    }
    env.update(
        SECRET_KEY=TEST_SECRET,
        TRELLIS_PLUGINS=str(plugins_file),
        TRELLIS_VAR_DIR=str(settings.var_dir),
        BODY_READ_TIMEOUT=str(TIMEOUT),
        LOG_LEVEL="WARNING",
    )
    port = free_port()
    log = tmp_path / "api.log"
    command = [sys.executable, "-m", "uvicorn", "core.app:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            command, cwd=tmp_path, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(process, url, log)
        yield url
    finally:
        stop(process)


def _send_partial(url: str, declared: int, sent: bytes) -> tuple[bytes, float]:
    """Declare `declared` bytes, send `sent`, and read until the server closes the connection."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        head = (
            f"POST /api/v1/users HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {declared}\r\n\r\n"
        )
        connection.sendall(head.encode() + sent)
        started = time.monotonic()
        received = b""
        while chunk := connection.recv(65536):  # b"": the server closed it
            received += chunk
        return received, time.monotonic() - started


@pytest.mark.backends("sqlite")  # the request edge is the same on every backend
async def test_a_real_server_answers_408_and_closes_the_connection(
    api: str, settings: Settings
) -> None:
    response, elapsed = await asyncio.to_thread(_send_partial, api, 100, b'{"email')
    assert elapsed < BOUND
    head, _, body = response.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].startswith("HTTP/1.1 408 ")
    headers = {
        name.lower(): value.strip() for name, _, value in (h.partition(":") for h in lines[1:])
    }
    assert headers["content-type"] == PROBLEM
    assert headers["connection"] == "close"
    assert json.loads(body)["status"] == 408

    # The server is unharmed, and the stalled request stored nothing.
    async with httpx.AsyncClient(base_url=api) as client:
        created = await client.post(
            "/api/v1/users", json={"email": "ann@example.com", "password": "long enough pw"}
        )
    assert created.status_code == 201
    engine = create_engine(settings.resolved_database_url.replace("+aiosqlite", ""))
    try:
        with engine.connect() as connection:
            emails = list(connection.scalars(text("SELECT email FROM users_user")))
    finally:
        engine.dispose()
    assert emails == ["ann@example.com"]
