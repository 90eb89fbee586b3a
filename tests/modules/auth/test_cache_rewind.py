"""A Redis restored from a dump saved before revocations brings none of them back.

The cache is a private `redis-server` the test dumps, then restarts from the old dump after
logging out, deleting a session, changing a password, deactivating and demoting: the database
knows all of that, the restored cache does not. Runs on both databases (the Redis is the
test's own either way).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from core.cache import Cache
from core.settings import Settings
from modules.auth import snapshots
from modules.auth.revocations import database_stamp
from modules.auth.watermark import Stamp, watermark_for
from tests.support.redis_server import PrivateRedis

from .support import (
    ADMIN_EMAIL,
    ME,
    PASSWORD,
    app_and_client,
    bearer,
    claims_of,
    runtime_of,
    signed_up,
    tokens,
)
from .test_hot_path import count_calls

SESSIONS = "/api/v1/auth/sessions"


@pytest.fixture
def on_private_redis(settings: Settings, private_redis: PrivateRedis) -> Settings:
    return settings.model_copy(update={"redis_url": private_redis.url})


async def status(client: httpx.AsyncClient, method: str, url: str, token: str) -> int:
    """The answer once the restarted Redis is reachable: a 503 on a stale pooled connection
    is another matter (the cache's reconnect), so it is retried; a 200 never is."""
    body: dict[str, Any] | None = {"full_name": "Back Again"} if method == "PATCH" else None
    for _ in range(5):
        response = await client.request(method, url, headers=bearer(token), json=body)
        if response.status_code != 503:
            return response.status_code
        await asyncio.sleep(0.1)
    return 503


async def refused_everywhere(client: httpx.AsyncClient, token: str) -> bool:
    """GET and PATCH /users/me and GET /auth/sessions all answer 401."""
    calls = [("GET", ME), ("PATCH", ME), ("GET", SESSIONS)]
    return [await status(client, method, url, token) for method, url in calls] == [401] * 3


async def test_a_cache_restored_from_an_old_dump_resurrects_no_revoked_session(
    on_private_redis: Settings,
    private_redis: PrivateRedis,
    with_admin: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with app_and_client(on_private_redis) as (app, client):
        admin = bearer((await tokens(client, ADMIN_EMAIL))["access_token"])
        logged_out = (await signed_up(client, "ann@example.com"))["access_token"]
        bob = await signed_up(client, "bob@example.com")
        deleted = (await tokens(client, "bob@example.com"))["access_token"]
        password_changed = (await signed_up(client, "cat@example.com"))["access_token"]
        deactivated = (await signed_up(client, "dan@example.com"))["access_token"]
        demoted = (await signed_up(client, "eve@example.com"))["access_token"]
        untouched = (await signed_up(client, "fay@example.com"))["access_token"]
        dan_id, eve_id = (claims_of(t)["sub"] for t in (deactivated, demoted))
        promoted = await client.patch(
            f"/api/v1/users/{eve_id}", json={"is_superuser": True}, headers=admin
        )
        assert promoted.status_code == 200
        tokens_now = [logged_out, deleted, password_changed, deactivated, demoted, untouched]
        for token in tokens_now:  # every snapshot cached
            assert (await client.get(ME, headers=bearer(token))).status_code == 200
        assert (await client.get("/api/v1/users", headers=bearer(demoted))).status_code == 200

        dump = private_redis.save("before-revocations.rdb")

        assert (await client.post("/api/v1/auth/logout", headers=bearer(logged_out))).is_success
        deleted_sid = claims_of(deleted)["sid"]
        gone = await client.delete(f"{SESSIONS}/{deleted_sid}", headers=bearer(bob["access_token"]))
        assert gone.status_code == 204
        changed = await client.post(
            f"{ME}/password",
            json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
            headers=bearer(password_changed),
        )
        assert changed.status_code == 204
        off = await client.patch(
            f"/api/v1/users/{dan_id}", json={"is_active": False}, headers=admin
        )
        assert off.status_code == 200
        down = await client.patch(
            f"/api/v1/users/{eve_id}", json={"is_superuser": False}, headers=admin
        )
        assert down.status_code == 200

        private_redis.restore(dump)  # the markers and the stamps are gone; old snapshots back

        for token in (logged_out, deleted, password_changed, deactivated):
            assert await refused_everywhere(client, token)
        assert await status(client, "GET", "/api/v1/users", demoted) == 403
        assert await status(client, "GET", ME, demoted) == 200
        assert await status(client, "GET", ME, untouched) == 200

        # The cache was repaired: it holds the database's stamp, in a new epoch ...
        runtime = runtime_of(app)
        async with runtime.read_sessions() as session:
            truth = await database_stamp(session=session)
        assert await _cache_holds(runtime.cache, truth)
        assert watermark_for(runtime).known == truth
        # ... and a warm token is back to one cache round trip.
        await status(client, "GET", ME, untouched)
        calls = count_calls(runtime.cache, monkeypatch)
        assert await status(client, "GET", ME, untouched) == 200
        assert [call for call in calls if call != "incr"] == ["get_many"]  # incr: API limit


async def test_another_instance_notices_the_rewind(
    on_private_redis: Settings, private_redis: PrivateRedis
) -> None:
    """Instance B did not revoke anything itself. It learns the stamp from the cache (any
    request it served after the logout) or from its database poll, and refuses either way."""
    slow_poll = {"revocation_poll_seconds": 60}
    fast_poll = {"revocation_poll_seconds": 0.1}
    async with (
        app_and_client(on_private_redis, slow_poll) as (_, a),
        app_and_client(on_private_redis, slow_poll) as (_, b_reads),
        app_and_client(on_private_redis, fast_poll) as (_, b_polls),
    ):
        ann = (await signed_up(a, "ann@example.com"))["access_token"]
        bob = (await signed_up(a, "bob@example.com"))["access_token"]
        for client in (b_reads, b_polls):
            assert (await client.get(ME, headers=bearer(ann))).status_code == 200
        dump = private_redis.save("before-logout.rdb")

        assert (await a.post("/api/v1/auth/logout", headers=bearer(ann))).status_code == 204
        assert (await b_reads.get(ME, headers=bearer(bob))).status_code == 200  # reads stamp
        await asyncio.sleep(0.5)  # a few polls of b_polls
        private_redis.restore(dump)

        for client in (b_reads, b_polls):
            assert await refused_everywhere(client, ann)
            assert await status(client, "GET", ME, bob) == 200


async def test_a_flushed_cache_resurrects_nothing(
    on_private_redis: Settings, private_redis: PrivateRedis
) -> None:
    async with app_and_client(on_private_redis) as (_, client):
        pair = await signed_up(client, "ann@example.com")
        live = (await tokens(client, "ann@example.com"))["access_token"]
        assert await client.post("/api/v1/auth/logout", headers=bearer(pair["access_token"]))
        private_redis.client().flushall()
        assert await refused_everywhere(client, pair["access_token"])
        assert await status(client, "GET", ME, live) == 200


async def _cache_holds(cache: Cache, expected: Stamp) -> bool:
    """Whether the cache's stamp becomes `expected` within a few seconds (a background repair)."""
    for _ in range(100):
        if await snapshots.read_stamp(cache) == expected:
            return True
        await asyncio.sleep(0.05)
    return False
