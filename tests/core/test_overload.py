"""Overload on a real `trellis serve`: every request is answered, 2xx or a fast 503 that says so.

A worker runs at most MAX_IN_FLIGHT requests; the next ones wait up to IN_FLIGHT_WAIT for a
slot and are then refused with a 503 problem+json carrying Retry-After, never left hanging or
dropped. Here the limit is tiny so that a hundred concurrent requests are an overload.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from core.testing import Backend, random_prefix
from tests.support.served import Served, trellis_serve

ACCOUNTS_AND_SLOW = """
enabled = ["health", "users", "auth", "slow"]

[modules.users]
bcrypt_rounds = 4
"""
SLOW_ONLY = 'enabled = ["health", "slow"]\n'
TINY_LIMIT = {"MAX_IN_FLIGHT": "2", "TRELLIS_RATE_LIMIT_DISABLED": "1"}


def backend_env(backend: Backend) -> dict[str, str]:
    env = {"CACHE_PREFIX": random_prefix()}
    if backend.database_url:
        env["DATABASE_URL"] = backend.database_url
    if backend.redis_url:
        env["REDIS_URL"] = backend.redis_url
    return env


def assert_answered(responses: list[httpx.Response]) -> None:
    """2xx, or 503 problem+json with Retry-After and a request id; nothing else."""
    for response in responses:
        assert response.status_code in (200, 503), response.text
        assert response.headers["x-request-id"]
        if response.status_code == 503:
            assert response.headers["content-type"] == "application/problem+json"
            assert int(response.headers["retry-after"]) >= 1
            assert response.json()["status"] == 503


def sign_in(served: Served) -> dict[str, str]:
    account = {"email": "load@example.com", "password": "correct horse battery"}
    httpx.post(f"{served.url}/api/v1/users", json=account).raise_for_status()
    login = httpx.post(
        f"{served.url}/api/v1/auth/token",
        data={"username": account["email"], "password": account["password"]},
    )
    login.raise_for_status()
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


async def many(url: str, count: int, headers: dict[str, str] | None = None) -> list[httpx.Response]:
    """`count` concurrent GETs, each on its own connection; a transport error fails the test."""
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    async with httpx.AsyncClient(limits=limits, timeout=20) as client:
        return list(await asyncio.gather(*(client.get(url, headers=headers) for _ in range(count))))


def test_an_overloaded_worker_answers_every_authenticated_read(
    tmp_path: Path, backend: Backend
) -> None:
    env = {**TINY_LIMIT, "IN_FLIGHT_WAIT": "0.05", **backend_env(backend)}
    with trellis_serve(tmp_path, ACCOUNTS_AND_SLOW, env=env) as served:
        auth = sign_in(served)
        responses: list[httpx.Response] = []
        for _ in range(3):
            responses += asyncio.run(many(f"{served.url}/api/v1/users/me", 100, auth))
        assert_answered(responses)
        statuses = [response.status_code for response in responses]
        assert statuses.count(200) >= 6  # each burst's first two at least
        assert httpx.get(f"{served.url}/api/v1/users/me", headers=auth).status_code == 200


def test_requests_beyond_the_limit_are_refused_fast_and_probes_still_pass(
    tmp_path: Path,
) -> None:
    env = {**TINY_LIMIT, "IN_FLIGHT_WAIT": "0.2"}
    with trellis_serve(tmp_path, SLOW_ONLY, env=env) as served:

        async def scenario() -> tuple[list[httpx.Response], list[float], httpx.Response]:
            async with httpx.AsyncClient(timeout=20) as client:
                holding = [
                    asyncio.create_task(
                        client.get(f"{served.url}/api/v1/slow", params={"seconds": 2})
                    )
                    for _ in range(2)
                ]
                await asyncio.sleep(0.5)  # both slots taken

                async def timed() -> tuple[httpx.Response, float]:
                    started = time.monotonic()
                    response = await client.get(f"{served.url}/api/v1/slow?seconds=0")
                    return response, time.monotonic() - started

                refused = await asyncio.gather(*(timed() for _ in range(30)))
                probe = await client.get(f"{served.url}/health")
                held = await asyncio.gather(*holding)
            return [*held, *(r for r, _ in refused)], [s for _, s in refused], probe

        responses, waits, probe = asyncio.run(scenario())
        assert_answered(responses)
        assert [r.status_code for r in responses[:2]] == [200, 200]
        assert all(r.status_code == 503 for r in responses[2:])
        assert max(waits) < 1.5  # the wait for a slot (0.2 s) and no more, give or take
        assert probe.status_code == 200  # liveness is not shed
        assert httpx.get(f"{served.url}/api/v1/slow?seconds=0").status_code == 200
