"""POST /api/v1/auth/token: the password grant, its refusals and its rate limits."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy.engine import make_url

from core.testing import Backend, ClientFactory
from modules.users.passwords import Hasher
from tests.support.relay import TcpRelay

from .support import (
    ME,
    MODULES,
    PASSWORD,
    TOKEN_URL,
    bearer,
    claims_of,
    deactivate,
    login,
    module_settings,
    register,
    tokens,
)

# Headers whose values legitimately differ between two responses.
VOLATILE = {"x-request-id", "ratelimit-remaining", "ratelimit-reset", "retry-after", "date"}


def stable_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower() not in VOLATILE}


async def test_login_returns_a_bearer_pair(client: httpx.AsyncClient) -> None:
    user_id = await register(client, "ann@example.com")
    response = await login(client, "ANN@example.com")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    claims = claims_of(body["access_token"])
    assert claims["sub"] == user_id
    assert claims["type"] == "access"
    assert claims["iss"] == "trellis"
    assert claims["aud"] == "trellis-api"
    assert {"exp", "iat", "nbf", "jti", "sid"} <= set(claims)
    me = await client.get(ME, headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["email"] == "ann@example.com"


async def test_failures_are_indistinguishable(make_client: ClientFactory, with_admin: str) -> None:
    async with make_client(MODULES, module_settings()) as client:
        await register(client, "ann@example.com")
        inactive_id = await register(client, "ina@example.com")
        await deactivate(client, inactive_id, admin_email=with_admin)
        wrong = await login(client, "ann@example.com", "not the password")
        unknown = await login(client, "nobody@example.com", PASSWORD)
        inactive = await login(client, "ina@example.com", PASSWORD)
    for response in (wrong, unknown, inactive):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
    assert wrong.json() == unknown.json() == inactive.json()
    assert stable_headers(wrong) == stable_headers(unknown) == stable_headers(inactive)


async def test_missing_or_invalid_token_is_401_with_a_challenge(client: httpx.AsyncClient) -> None:
    for headers in ({}, bearer("not-a-jwt"), {"Authorization": "Basic Zm9vOmJhcg=="}):
        response = await client.get(ME, headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.headers["content-type"] == "application/problem+json"


async def test_non_superuser_gets_403_on_an_admin_route(client: httpx.AsyncClient) -> None:
    await register(client, "ann@example.com")
    pair = await tokens(client, "ann@example.com")
    response = await client.get("/api/v1/users", headers=bearer(pair["access_token"]))
    assert response.status_code == 403


async def test_openapi_password_flow_points_at_the_token_endpoint(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()
    flow = schema["components"]["securitySchemes"]["OAuth2"]["flows"]["password"]
    assert flow["tokenUrl"] == TOKEN_URL
    # What Swagger UI's Authorize dialog posts.
    await register(client, "ann@example.com")
    form = {
        "grant_type": "password",
        "username": "ann@example.com",
        "password": PASSWORD,
        "scope": "",
    }
    response = await client.post(flow["tokenUrl"], data=form)
    assert response.status_code == 200
    assert response.json()["token_type"] == "bearer"


async def test_account_limit_answers_429_alike_for_known_and_unknown_accounts(
    client: httpx.AsyncClient,
) -> None:
    await register(client, "ann@example.com")
    refused: list[httpx.Response] = []
    for email in ("ann@example.com", "nobody@example.com"):
        for _ in range(5):
            assert (await login(client, email, "wrong password")).status_code == 401
        # Even the right password waits: the check comes before the password is verified.
        refused.append(await login(client, email, PASSWORD))
    known, unknown = refused
    for response in refused:
        assert response.status_code == 429
        assert int(response.headers["retry-after"]) >= 1
        assert response.headers["ratelimit-limit"] == "5"
        assert response.headers["ratelimit-remaining"] == "0"
        assert response.headers["ratelimit-policy"] == "5;w=60"
    assert known.json() == unknown.json()
    assert stable_headers(known) == stable_headers(unknown)


async def test_successful_login_clears_the_account_failures(client: httpx.AsyncClient) -> None:
    await register(client, "ann@example.com")
    for _ in range(3):
        assert (await login(client, "ann@example.com", "wrong password")).status_code == 401
    assert (await login(client, "ann@example.com")).status_code == 200
    for _ in range(4):
        assert (await login(client, "ann@example.com", "wrong password")).status_code == 401
    assert (await login(client, "ann@example.com")).status_code == 200


async def test_address_limit_counts_attempts_across_accounts(make_client: ClientFactory) -> None:
    limits = module_settings(login_rate_per_ip="3/minute")
    async with make_client(MODULES, limits) as client:
        for number in range(3):
            response = await login(client, f"user{number}@example.com", "whatever password")
            assert response.status_code == 401
        response = await login(client, "user9@example.com", "whatever password")
    assert response.status_code == 429
    assert response.headers["ratelimit-policy"] == "3;w=60"


@pytest.mark.backends("postgres")  # the embedded SQLite database has no network to lose
async def test_attempts_answered_503_do_not_count_against_the_limits(
    make_client: ClientFactory, backend: Backend
) -> None:
    """A database outage is our failure, not the caller's: the right password works at once."""
    assert backend.database_url is not None
    url = make_url(backend.database_url)
    relay = TcpRelay(url.host or "127.0.0.1", url.port or 5432)
    await relay.start()
    through_relay = url.set(host="127.0.0.1", port=relay.port).render_as_string(False)
    limits = module_settings(login_rate_per_account="3/minute", login_rate_per_ip="3/minute")
    override = {"database_url": through_relay}
    try:
        async with make_client(MODULES, limits, settings_override=override) as client:
            await register(client, "ann@example.com")
            await relay.stop()
            for password in [PASSWORD, "wrong password"] * 3:
                response = await login(client, "ann@example.com", password)
                assert response.status_code == 503, response.text
            assert (await login(client, "nobody@example.com")).status_code == 503
            await relay.start()
            assert (await login(client, "ann@example.com")).status_code == 200
            # Decided attempts still count, on both limits.
            for _ in range(2):
                assert (await login(client, "ann@example.com", "wrong password")).status_code == 401
            assert (await login(client, "ann@example.com")).status_code == 429
    finally:
        await relay.stop()


async def test_limits_can_be_switched_off(make_client: ClientFactory) -> None:
    off = {"rate_limit_disabled": True}
    async with make_client(MODULES, module_settings(), settings_override=off) as client:
        for _ in range(8):
            response = await login(client, "nobody@example.com", "wrong password")
            assert response.status_code == 401


@pytest.mark.parametrize(
    ("field", "value"),
    [("username", ""), ("password", "")],
)
async def test_empty_form_fields_are_422(client: httpx.AsyncClient, field: str, value: str) -> None:
    form = {"username": "ann@example.com", "password": PASSWORD, field: value}
    response = await client.post(TOKEN_URL, data=form)
    assert response.status_code == 422


@pytest.mark.backends("postgres")  # SQLite serialises the two transactions (BEGIN IMMEDIATE)
async def test_a_login_racing_a_password_change_opens_no_session(
    backend: Backend, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The change revokes the sessions it sees; a login that checked the old password meanwhile
    must not open one it cannot see (PostgreSQL: SQLite runs one write transaction at a time)."""
    await register(client, "ann@example.com")
    headers = bearer((await tokens(client, "ann@example.com"))["access_token"])
    checked, resume = asyncio.Event(), asyncio.Event()
    verify = Hasher.verify
    calls = 0

    async def verify_then_pause(hasher: Hasher, password: str, hashed: str) -> bool:
        nonlocal calls
        calls += 1
        matched = await verify(hasher, password, hashed)
        if calls == 1:  # the login's check; the password change's own runs through
            checked.set()
            await resume.wait()
        return matched

    monkeypatch.setattr(Hasher, "verify", verify_then_pause)
    racing = asyncio.create_task(login(client, "ann@example.com"))
    await checked.wait()  # the old password matched; no session yet
    changed = await client.post(
        f"{ME}/password",
        json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
        headers=headers,
    )
    assert changed.status_code == 204
    resume.set()

    late = await racing
    assert late.status_code == 401, late.text


async def test_concurrent_logins_never_exhaust_the_database(make_client: ClientFactory) -> None:
    """bcrypt runs while no connection (nor SQLite's write lock) is held: no 503 under a burst."""
    scarce = {
        "db_pool_size": 2,
        "db_max_overflow": 0,
        "db_pool_timeout": 1.0,
        "db_statement_timeout_ms": 1000,
        "rate_limit_disabled": True,
    }
    # The hashing lane queues the burst (its own 503 is tested apart): the pool is under test.
    settings = {"users": {"bcrypt_rounds": 9, "hash_wait_seconds": 60}}
    async with make_client(MODULES, settings, settings_override=scarce) as client:
        await register(client, "ann@example.com")
        attempts = [login(client, "ann@example.com", "wrong password!") for _ in range(12)]
        attempts += [login(client, "ann@example.com") for _ in range(12)]
        statuses = [response.status_code for response in await asyncio.gather(*attempts)]
    assert statuses == [401] * 12 + [200] * 12
