"""Two real API processes sharing PostgreSQL and Redis agree on logouts and login limits."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.settings import Settings
from core.testing import TEST_SECRET, Backend
from tests.support.processes import free_port, stop, wait_until_up

from .support import PASSWORD, bearer


@pytest.fixture
def two_apis(backend: Backend, settings: Settings, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Base URLs of two uvicorn processes on the test's database and cache prefix."""
    assert settings.database_url is not None
    assert backend.redis_url is not None
    plugins_file = tmp_path / "plugins.toml"
    plugins_file.write_text('enabled = ["users", "auth"]\n\n[modules.users]\nbcrypt_rounds = 4\n')
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FIRST_SUPERUSER_", "TRELLIS_", "TEST_"))
    }
    env.update(
        DATABASE_URL=settings.database_url,
        REDIS_URL=backend.redis_url,
        SECRET_KEY=TEST_SECRET,
        CACHE_PREFIX=settings.cache_prefix,
        TRELLIS_PLUGINS=str(plugins_file),
        TRELLIS_VAR_DIR=str(tmp_path / "var"),
        LOG_LEVEL="WARNING",
    )
    processes: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        for name in ("a", "b"):
            port = free_port()
            log = tmp_path / f"{name}.log"
            command = [
                sys.executable,
                "-m",
                "uvicorn",
                "core.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ]
            with log.open("wb") as output:
                processes.append(
                    subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
                        command, cwd=tmp_path, env=env, stdout=output, stderr=subprocess.STDOUT
                    )
                )
            urls.append(f"http://127.0.0.1:{port}")
            wait_until_up(processes[-1], urls[-1], log)
        yield urls[0], urls[1]
    finally:
        for process in processes:
            stop(process)


@pytest.mark.backends("postgres")  # two processes share only a networked database and cache
async def test_logout_and_login_limits_hold_across_processes(two_apis: tuple[str, str]) -> None:
    url_a, url_b = two_apis
    async with httpx.AsyncClient(base_url=url_a) as a, httpx.AsyncClient(base_url=url_b) as b:
        created = await a.post(
            "/api/v1/users", json={"email": "ann@example.com", "password": PASSWORD}
        )
        assert created.status_code == 201
        form = {"username": "ann@example.com", "password": PASSWORD}
        pair = (await a.post("/api/v1/auth/token", data=form)).json()
        auth = bearer(pair["access_token"])
        assert (await b.get("/api/v1/users/me", headers=auth)).status_code == 200
        assert (await a.get("/api/v1/users/me", headers=auth)).status_code == 200

        assert (await b.post("/api/v1/auth/logout", headers=auth)).status_code == 204
        assert (await a.get("/api/v1/users/me", headers=auth)).status_code == 401
        refreshed = await a.post(
            "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
        )
        assert refreshed.status_code == 401

        wrong = {"username": "ann@example.com", "password": "wrong password"}
        for client in (a, b, a, b, a):
            assert (await client.post("/api/v1/auth/token", data=wrong)).status_code == 401
        for client in (b, a):
            limited = await client.post("/api/v1/auth/token", data=form)
            assert limited.status_code == 429
            assert int(limited.headers["retry-after"]) >= 1
