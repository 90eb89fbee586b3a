"""GET /api/v1/modules through HTTP: administrators only, every enabled module as it runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.host import Host
from core.migrate import move_module
from core.settings import Settings
from core.testing import ClientFactory, plugins
from tests.fixtures.delta import DeltaPlugin, write_revision
from tests.modules.auth.support import (
    ADMIN_EMAIL,
    FAST_HASHING,
    PASSWORD,
    bearer,
    register,
    tokens,
)

MODULES = ["users", "auth", "system"]
URL = "/api/v1/modules"


@pytest.fixture(autouse=True)
def first_superuser(monkeypatch: pytest.MonkeyPatch) -> None:
    """The users module creates this superuser at start-up."""
    monkeypatch.setenv("FIRST_SUPERUSER_EMAIL", ADMIN_EMAIL)
    monkeypatch.setenv("FIRST_SUPERUSER_PASSWORD", PASSWORD)


@pytest.fixture
async def client(make_client: ClientFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(MODULES, FAST_HASHING) as client:
        yield client


async def as_admin(client: httpx.AsyncClient) -> dict[str, str]:
    return bearer((await tokens(client, ADMIN_EMAIL))["access_token"])


def by_name(response: httpx.Response) -> dict[str, dict[str, Any]]:
    assert response.status_code == 200, response.text
    return {module["name"]: module for module in response.json()["items"]}


def assert_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status


async def test_without_a_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get(URL)
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


async def test_without_an_authenticating_module_every_call_is_401(
    make_client: ClientFactory,
) -> None:
    async with make_client(["system"]) as client:
        response = await client.get(URL, headers=bearer("anything"))
    assert_problem(response, 401)


async def test_a_user_who_is_not_an_administrator_is_403(client: httpx.AsyncClient) -> None:
    await register(client, "ann@example.com")
    ann = await tokens(client, "ann@example.com")
    assert_problem(await client.get(URL, headers=bearer(ann["access_token"])), 403)


async def test_an_administrator_sees_every_enabled_module_in_start_up_order(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(URL, headers=await as_admin(client))
    modules = by_name(response)
    assert list(modules) == MODULES

    users, auth, system = modules["users"], modules["auth"], modules["system"]
    for module in (users, auth, system):
        assert module["version"] == "0.1.0"
        assert module["distribution"] == "trellis 0.1.0"
        assert module["description"]
    assert auth["requires"] == ["users"]
    assert {"method": "GET", "path": "/api/v1/users/me"} in users["routes"]
    assert {"method": "POST", "path": "/api/v1/auth/token"} in auth["routes"]
    assert system["routes"] == [{"method": "GET", "path": "/api/v1/modules"}]
    assert not any(route["method"] == "HEAD" for m in modules.values() for route in m["routes"])
    assert users["tables"] == ["users_user"]
    assert {"auth_session", "auth_refresh_token"} <= set(auth["tables"])
    assert system["tables"] == []
    assert "user_created" in users["publishes"]
    assert users["subscribes"] == []
    assert "user_created" in auth["subscribes"]
    assert auth["publishes"] == ["session_revoked"]
    assert (users["permissions"], auth["permissions"]) == (["users:admin"], [])
    assert system["permissions"] == ["system:inspect"]
    assert users["migrations"] == {"head": "users_0001", "current": "users_0001", "behind": False}
    auth_migrations = auth["migrations"]
    assert auth_migrations["current"] == auth_migrations["head"] is not None
    assert auth_migrations["behind"] is False
    assert system["migrations"] is None


@asynccontextmanager
async def migrated(settings: Settings, plugin: DeltaPlugin) -> AsyncIterator[None]:
    """Delta's branch brought to head, and taken back to base afterwards.

    The kit migrates installed modules only; delta is passed in memory, so it migrates itself.
    Taking it back matters on PostgreSQL, where one database serves the whole test session.
    """
    config = plugins(["users", "delta"], FAST_HASHING)
    host = Host.load(settings.plugins_file, config=config, extra_plugins=[plugin])
    runtime = host.runtime(settings)
    try:
        await move_module(runtime, host, "delta", to="head")
        try:
            yield
        finally:
            await move_module(runtime, host, "delta", to="base", downgrade=True)
    finally:
        await runtime.close()


@pytest.fixture
def delta(tmp_path: Path) -> DeltaPlugin:
    folder = tmp_path / "delta_migrations"
    folder.mkdir()
    write_revision(folder, "delta_0001")
    return DeltaPlugin(folder)


async def test_a_revision_not_yet_applied_shows_as_behind(
    make_client: ClientFactory, settings: Settings, delta: DeltaPlugin
) -> None:
    async with (
        migrated(settings, delta),
        make_client([*MODULES, "delta"], FAST_HASHING, extra_plugins=[delta]) as client,
    ):
        admin = await as_admin(client)
        module = by_name(await client.get(URL, headers=admin))["delta"]
        assert module["distribution"] is None  # passed in memory, not installed by a package
        assert module["requires"] == ["users>=0.1"]
        assert module["tables"] == ["fixture_delta_item"]
        assert module["migrations"] == {
            "head": "delta_0001",
            "current": "delta_0001",
            "behind": False,
        }

        # A newer release ships a revision; the running app sees it on the next request.
        write_revision(delta.folder, "delta_0002")
        module = by_name(await client.get(URL, headers=admin))["delta"]
        assert module["migrations"] == {
            "head": "delta_0002",
            "current": "delta_0001",
            "behind": True,
        }
