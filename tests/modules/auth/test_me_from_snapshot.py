"""`GET /users/me` answered from the session snapshot: one cache round trip, no SQL, and every
change to the user, their roles or their sessions shown on the very next request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from core.runtime import Runtime
from core.settings import Settings

from .support import (
    ADMIN_EMAIL,
    ME,
    PASSWORD,
    app_and_client,
    bearer,
    runtime_of,
    signed_up,
    tokens,
)
from .test_hot_path import count_calls

USERS = "/api/v1/users"
ROLES = "/api/v1/roles"


@dataclass
class Io:
    """What the app did on its real cache and its real database engine."""

    cache: list[str]
    sql: list[str] = field(default_factory=list)
    task: asyncio.Task[Any] | None = None  # whose statements count

    def clear(self) -> None:
        """Count from now on, the statements of the calling task only: requests run in
        process, in the caller's task; background work (a periodic prune) in its own."""
        self.cache.clear()
        self.sql.clear()
        self.task = asyncio.current_task()


@dataclass
class World:
    client: httpx.AsyncClient
    runtime: Runtime
    io: Io
    admin: dict[str, str]

    async def me(self, token: str) -> httpx.Response:
        return await self.client.get(ME, headers=bearer(token))

    async def warm_me(self, token: str) -> dict[str, Any]:
        """`/users/me` as seen now; asserts that it cost one MGET and no SQL."""
        self.io.clear()
        response = await self.me(token)
        assert response.status_code == 200, response.text
        assert self.io.cache == ["get_many"]
        assert self.io.sql == []
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
async def world(
    settings: Settings, with_admin: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[World]:
    async with started(settings, monkeypatch) as world:
        yield world


@asynccontextmanager
async def started(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    quiet = settings.model_copy(update={"rate_limit_disabled": True})  # no INCR per request
    async with app_and_client(quiet, extra_modules=["roles"]) as (app, client):
        runtime = runtime_of(app)
        io = Io(cache=count_calls(runtime.cache, monkeypatch))

        def on_statement(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if asyncio.current_task() is io.task:
                io.sql.append(statement)

        event.listen(runtime.engine.sync_engine, "before_cursor_execute", on_statement)
        admin = bearer((await tokens(client, ADMIN_EMAIL))["access_token"])
        try:
            yield World(client, runtime, io, admin)
        finally:
            event.remove(runtime.engine.sync_engine, "before_cursor_execute", on_statement)


async def test_a_warm_me_runs_no_sql_and_one_cache_round_trip(world: World) -> None:
    access = (await signed_up(world.client, "ann@example.com"))["access_token"]
    world.io.clear()
    first = await world.me(access)  # a snapshot miss: read once, then remembered
    assert first.status_code == 200
    assert world.io.cache == ["get_many", "set"]
    assert world.io.sql != []

    for _ in range(3):
        body = await world.warm_me(access)
    assert body == first.json()
    assert body["email"] == "ann@example.com"
    assert (body["roles"], body["permissions"]) == ([], [])


async def test_changes_to_the_user_show_on_the_next_request(world: World) -> None:
    access = (await signed_up(world.client, "ann@example.com"))["access_token"]
    user_id = (await world.me(access)).json()["id"]

    changed = await world.client.patch(
        ME, json={"full_name": "Ann", "email": "ann@example.org"}, headers=bearer(access)
    )
    assert changed.status_code == 200, changed.text
    seen = await world.warm_me(access)  # rewritten after the commit, not merely dropped
    assert (seen["full_name"], seen["email"], seen["is_verified"]) == (
        "Ann",
        "ann@example.org",
        False,
    )
    assert seen["updated_at"] == changed.json()["updated_at"]

    by_admin = await world.client.patch(
        f"{USERS}/{user_id}", json={"full_name": "Ann B", "is_verified": True}, headers=world.admin
    )
    assert by_admin.status_code == 200, by_admin.text
    seen = await world.warm_me(access)
    assert (seen["full_name"], seen["is_verified"]) == ("Ann B", True)

    promoted = await world.client.patch(
        f"{USERS}/{user_id}", json={"is_superuser": True}, headers=world.admin
    )
    assert promoted.status_code == 200, promoted.text
    seen = await world.warm_me(access)
    assert seen["is_superuser"] is True
    assert set(seen["permissions"]) == set(world.runtime.permissions)

    demoted = await world.client.patch(
        f"{USERS}/{user_id}", json={"is_superuser": False, "is_active": False}, headers=world.admin
    )
    assert demoted.status_code == 200, demoted.text
    assert (await world.me(access)).status_code == 401


async def test_roles_granted_and_revoked_show_on_the_next_request(world: World) -> None:
    access = (await signed_up(world.client, "ann@example.com"))["access_token"]
    user_id = (await world.me(access)).json()["id"]
    for name, permissions in (("auditor", ["users:admin"]), ("member", [])):
        created = await world.client.post(
            ROLES,
            json={"name": name, "description": name, "permissions": permissions},
            headers=world.admin,
        )
        assert created.status_code == 201, created.text

    for role in ("auditor", "member"):  # a role without permissions changes only the names
        granted = await world.client.put(f"{USERS}/{user_id}/roles/{role}", headers=world.admin)
        assert granted.status_code == 204, granted.text
    seen = await world.warm_me(access)
    assert (seen["roles"], seen["permissions"]) == (["auditor", "member"], ["users:admin"])

    for role in ("auditor", "member"):
        revoked = await world.client.delete(f"{USERS}/{user_id}/roles/{role}", headers=world.admin)
        assert revoked.status_code == 204, revoked.text
    seen = await world.warm_me(access)
    assert (seen["roles"], seen["permissions"]) == ([], [])


async def test_a_password_change_or_a_logout_ends_the_warm_token(world: World) -> None:
    first = (await signed_up(world.client, "ann@example.com"))["access_token"]
    assert (await world.me(first)).is_success
    await world.warm_me(first)
    changed = await world.client.post(
        f"{ME}/password",
        json={"current_password": PASSWORD, "new_password": "a new horse battery"},
        headers=bearer(first),
    )
    assert changed.status_code == 204, changed.text
    assert (await world.me(first)).status_code == 401

    second = (await tokens(world.client, "ann@example.com", "a new horse battery"))["access_token"]
    assert (await world.me(second)).is_success
    await world.warm_me(second)
    logout = await world.client.post("/api/v1/auth/logout", headers=bearer(second))
    assert logout.is_success, logout.text
    assert (await world.me(second)).status_code == 401
