"""Who may open `/api/v1/notifications`: a valid token, offered as a subprotocol, only."""

from __future__ import annotations

import pytest

from core.testing import TrellisClient
from core.testing.sockets import Refused, connect
from modules.auth.testing import Account

from .support import URL, offered, open_socket, token_expiring_in


async def test_the_server_selects_trellis_never_the_bearer_subprotocol(
    client: TrellisClient, user: Account
) -> None:
    async with open_socket(client, user.access_token) as socket:
        assert socket.subprotocol == "trellis"


@pytest.mark.parametrize("parameter", ["token", "access_token", "Token"])
async def test_a_token_in_the_url_is_refused_before_the_handshake(
    client: TrellisClient, user: Account, parameter: str
) -> None:
    url = f"{URL}?{parameter}={user.access_token}"
    with pytest.raises(Refused) as refused:
        async with open_socket(client, user.access_token, url=url):
            pass
    assert refused.value.status == 403
    assert refused.value.headers["content-type"] == "application/problem+json"
    problem = refused.value.json()
    assert problem["status"] == 403
    assert "URL" in problem["detail"]
    assert user.access_token not in refused.value.body.decode()


@pytest.mark.parametrize(
    "subprotocols",
    [[], ["trellis"], ["trellis", "bearer."], ["trellis", "bearer.not-a-token"]],
    ids=["nothing", "no-token", "empty-token", "bad-token"],
)
async def test_a_missing_or_bad_token_is_refused(
    client: TrellisClient, subprotocols: list[str]
) -> None:
    with pytest.raises(Refused) as refused:
        async with connect(client.app, URL, subprotocols=subprotocols):
            pass
    assert refused.value.status == 401
    assert refused.value.json()["title"] == "Not authenticated"


async def test_the_token_alone_without_trellis_is_refused(
    client: TrellisClient, user: Account
) -> None:
    with pytest.raises(Refused) as refused:
        async with connect(client.app, URL, subprotocols=[f"bearer.{user.access_token}"]):
            pass
    assert refused.value.status == 401


async def test_an_expired_token_is_refused(client: TrellisClient, user: Account) -> None:
    expired = token_expiring_in(client, user.access_token, -120)
    with pytest.raises(Refused) as refused:
        async with open_socket(client, expired):
            pass
    assert refused.value.status == 401


async def test_a_revoked_token_is_refused(client: TrellisClient, user: Account) -> None:
    assert (await client.post("/api/v1/auth/logout", headers=user.headers)).status_code == 204
    with pytest.raises(Refused) as refused:
        async with connect(client.app, URL, subprotocols=offered(user.access_token)):
            pass
    assert refused.value.status == 401


async def test_the_socket_is_described_in_the_openapi_document(client: TrellisClient) -> None:
    document = (await client.get("/openapi.json")).json()
    (socket,) = document["x-websockets"]
    assert socket["path"] == URL
    assert "bearer." in socket["description"]
    assert "session.revoked" in socket["description"]
    assert f"`{URL}` (WebSocket)" in document["info"]["description"]
