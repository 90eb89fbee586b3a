"""Two real API processes sharing PostgreSQL and Redis, and a real WebSocket client.

An event published on one process reaches a socket on the other, a logout on one closes the
user's socket on the other, and a real server refuses a token in the URL without logging it.
Waits are bounded, never timed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from core.settings import Settings
from core.testing import Backend
from modules.auth.testing import sign_in, sign_up
from tests.support.apis import two_apis as running_apis

URL = "/api/v1/notifications"
WAIT = 5.0


@pytest.fixture
def two_apis(backend: Backend, settings: Settings, tmp_path: Path) -> Iterator[tuple[str, str]]:
    plugins_toml = (
        'enabled = ["users", "auth", "notifications"]\n\n[modules.users]\nbcrypt_rounds = 4\n'
    )
    with running_apis(backend, settings, tmp_path, plugins_toml) as urls:
        yield urls


def offered(token: str) -> list[Subprotocol]:
    return [Subprotocol("trellis"), Subprotocol(f"bearer.{token}")]


async def next_message(socket: ClientConnection) -> Any:
    async with asyncio.timeout(WAIT):
        return json.loads(await socket.recv())


@pytest.mark.backends("postgres")  # two processes share only a networked database and cache
async def test_events_and_logouts_on_one_process_reach_sockets_on_the_other(
    two_apis: tuple[str, str], tmp_path: Path
) -> None:
    url_a, url_b = two_apis
    socket_url = url_b.replace("http://", "ws://") + URL
    async with httpx.AsyncClient(base_url=url_a) as a:
        ann = await sign_up(a)
        other_device = {"Authorization": f"Bearer {await sign_in(a, ann.email)}"}
        async with connect(socket_url, subprotocols=offered(ann.access_token)) as socket:
            assert socket.subprotocol == "trellis"
            await a.patch("/api/v1/users/me", json={"full_name": "Ann"}, headers=ann.headers)
            assert await next_message(socket) == {
                "type": "account.updated",
                "fields": ["full_name"],
            }

            assert (await a.post("/api/v1/auth/logout", headers=other_device)).status_code == 204
            assert (await next_message(socket))["current"] is False

            assert (await a.post("/api/v1/auth/logout", headers=ann.headers)).status_code == 204
            assert (await next_message(socket))["current"] is True
            with pytest.raises(ConnectionClosed) as closed:
                await next_message(socket)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4001

    # Refused before the handshake, and kept out of the logs (uvicorn's included).
    with pytest.raises(InvalidStatus) as in_url:
        async with connect(f"{socket_url}?access_token={ann.access_token}"):
            pass
    assert in_url.value.response.status_code == 403
    with pytest.raises(InvalidStatus) as revoked:
        async with connect(socket_url, subprotocols=offered(ann.access_token)):
            pass
    assert revoked.value.response.status_code == 401
    logs = await asyncio.to_thread(lambda: [log.read_text() for log in tmp_path.glob("*.log")])
    assert logs
    assert not [text for text in logs if ann.access_token in text]
