"""TRUSTED_PROXIES: X-Forwarded-For/-Proto are believed from trusted peers only.

Through a real `trellis serve`, as an attacker would try it: uvicorn, left to itself, believes
those headers from 127.0.0.1, so a client on the same host could rotate X-Forwarded-For past
the per-address login limit.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import httpx
import pytest
from fastapi import APIRouter, Request
from pydantic import ValidationError

from core.settings import Settings
from core.testing import ClientFactory
from tests.support.packages import routed_module
from tests.support.processes import stop
from tests.support.served import trellis_serve

PASSWORD = "correct horse battery"
LOGIN = "/api/v1/auth/token"
USERS_AND_AUTH = """
    enabled = ["users", "auth"]

    [modules.users]
    bcrypt_rounds = 4

    [modules.auth]
    login_rate_per_ip = "3/minute"
"""


def test_trusted_proxies_are_addresses_or_networks() -> None:
    def trusted(value: str) -> list[str]:
        return Settings(_env_file=None, trusted_proxies=value).trusted_proxies  # type: ignore[arg-type]

    assert Settings(_env_file=None).trusted_proxies == []
    # Written canonically: uvicorn's matcher ignores a network with host bits set.
    assert trusted(" 10.0.0.7, 10.1.2.3/8 ,::1 ") == ["10.0.0.7", "10.0.0.0/8", "::1"]
    assert trusted("*, 10.0.0.7") == ["*"]
    with pytest.raises(ValidationError, match=r"'proxy\.internal' is not an IP address"):
        trusted("10.0.0.7, proxy.internal")


def echo_module() -> ModuleType:
    """A route answering with the client address and scheme the app believes."""
    router = APIRouter(prefix="/echo", tags=["echo"])

    @router.get("")
    async def echo(request: Request) -> dict[str, str | None]:
        return {
            "client": request.client.host if request.client else None,
            "scheme": request.url.scheme,
        }

    return routed_module("echo", router, version="1.0")


FORWARDED = {"X-Forwarded-For": "198.51.100.7, 10.0.0.9", "X-Forwarded-Proto": "https"}


@pytest.mark.parametrize(
    ("trusted", "seen"),
    [
        pytest.param("", {"client": "127.0.0.1", "scheme": "http"}, id="none-trusted"),
        pytest.param("10.0.0.0/8", {"client": "127.0.0.1", "scheme": "http"}, id="peer-untrusted"),
        # The right-most address no trusted proxy added is the client's.
        pytest.param("127.0.0.1", {"client": "10.0.0.9", "scheme": "https"}, id="peer-trusted"),
        pytest.param(
            "127.0.0.1, 10.0.0.0/8",
            {"client": "198.51.100.7", "scheme": "https"},
            id="chain-trusted",
        ),
    ],
)
async def test_forwarded_headers_count_from_trusted_peers_only(
    make_client: ClientFactory, trusted: str, seen: dict[str, str]
) -> None:
    override = {
        "trusted_proxies": Settings(_env_file=None, trusted_proxies=trusted).trusted_proxies
    }  # type: ignore[arg-type]
    async with make_client(
        ["echo"], extra_plugins=[echo_module()], settings_override=override
    ) as client:
        response = await client.get("/api/v1/echo", headers=FORWARDED)
    assert response.json() == seen


async def attempts(url: str, forwarded_for: list[str]) -> list[int]:
    """One failed login per address, each on another account: only the per-address limit counts."""
    statuses = []
    async with httpx.AsyncClient(base_url=url) as client:
        for number, address in enumerate(forwarded_for):
            form = {"username": f"user{number}@example.com", "password": "wrong password"}
            response = await client.post(LOGIN, data=form, headers={"X-Forwarded-For": address})
            statuses.append(response.status_code)
    return statuses


async def test_a_forged_forwarded_for_changes_nothing_by_default(tmp_path: Path) -> None:
    with trellis_serve(tmp_path, USERS_AND_AUTH) as served:
        rotating = [f"203.0.113.{n}" for n in range(1, 6)]
        assert await attempts(served.url, rotating) == [401, 401, 401, 429, 429]
        stop(served.process)
        assert "client=127.0.0.1" in served.output()
        assert "client=203.0.113." not in served.output()


async def test_behind_a_trusted_proxy_each_client_is_limited_on_its_own(tmp_path: Path) -> None:
    env = {"TRUSTED_PROXIES": "127.0.0.1"}
    with trellis_serve(tmp_path, USERS_AND_AUTH, env=env) as served:
        one, other = "203.0.113.10", "203.0.113.20"
        assert await attempts(served.url, [one] * 4) == [401, 401, 401, 429]
        assert await attempts(served.url, [other]) == [401]

        # The session records the client's address, not the proxy's.
        async with httpx.AsyncClient(base_url=served.url) as client:
            account = {"email": "ann@example.com", "password": PASSWORD}
            assert (await client.post("/api/v1/users", json=account)).status_code == 201
            form = {"username": account["email"], "password": PASSWORD}
            via = {"X-Forwarded-For": "198.51.100.30"}
            pair = (await client.post(LOGIN, data=form, headers=via)).json()
            bearer = {"Authorization": f"Bearer {pair['access_token']}"}
            [session] = (await client.get("/api/v1/auth/sessions", headers=bearer)).json()["items"]
        assert session["ip"] == "198.51.100.30"
        stop(served.process)
        assert "client=203.0.113.10" in served.output()
