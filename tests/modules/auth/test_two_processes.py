"""Two real API processes sharing PostgreSQL and Redis agree on logouts and login limits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.settings import Settings
from core.testing import Backend
from tests.support.apis import two_apis as running_apis

from .support import PASSWORD, bearer


@pytest.fixture
def two_apis(backend: Backend, settings: Settings, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Base URLs of two uvicorn processes on the test's database and cache prefix."""
    plugins_toml = 'enabled = ["users", "auth"]\n\n[modules.users]\nbcrypt_rounds = 4\n'
    with running_apis(backend, settings, tmp_path, plugins_toml) as urls:
        yield urls


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
