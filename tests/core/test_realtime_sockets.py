"""WebSockets a third-party module writes with the core alone: authentication, limits, logs."""

from __future__ import annotations

import logging
import time
from types import SimpleNamespace
from uuid import UUID, uuid4

import pytest
from fastapi import APIRouter, WebSocket

from core import (
    ModuleInfo,
    Mount,
    Principal,
    PrincipalResolver,
    RuntimeDep,
    SocketPrincipal,
    accept_socket,
    hookimpl,
    seconds_left,
)
from core.realtime.logfilter import WebSocketPathFilter
from core.testing import ClientFactory
from tests.support.asgi_sockets import Refused, connect

KNOWN = uuid4()
router = APIRouter(tags=["echo"])


@router.websocket("/echo")
async def echo(websocket: WebSocket, principal: SocketPrincipal, runtime: RuntimeDep) -> None:
    """Greets the caller by id."""
    await accept_socket(websocket)
    await websocket.send_json({"id": str(principal.id), "pubsub": type(runtime.pubsub).__name__})
    await websocket.close()


async def resolve(token: str) -> Principal | None:
    return Principal(id=KNOWN, claims={"exp": int(time.time()) + 60}) if token == "good" else None


class Echo:
    """A module of a third party: a socket route, and a resolver accepting the token `good`."""

    @hookimpl
    def module_info(self) -> ModuleInfo:
        return ModuleInfo(name="echo", version="1.0")

    @hookimpl
    def register_routers(self) -> list[Mount]:
        return [Mount(router)]

    @hookimpl
    def principal_resolver(self) -> PrincipalResolver:
        return PrincipalResolver(resolve=resolve, token_url="/token")


async def test_a_module_socket_knows_its_caller(make_client: ClientFactory) -> None:
    async with make_client(["echo"], extra_plugins=[Echo()]) as client:
        async with connect(
            client.app, "/api/v1/echo", subprotocols=["trellis", "bearer.good"]
        ) as ws:
            assert ws.subprotocol == "trellis"
            greeting = await ws.receive_json()
            assert UUID(greeting["id"]) == KNOWN
        with pytest.raises(Refused) as refused:
            async with connect(client.app, "/api/v1/echo", subprotocols=["trellis", "bearer.bad"]):
                pass
        assert refused.value.status == 401
        assert "x-request-id" in refused.value.headers


async def test_handshakes_count_against_the_api_rate_limit(make_client: ClientFactory) -> None:
    override = {"api_rate_limit": "2/minute"}
    async with make_client(["echo"], extra_plugins=[Echo()], settings_override=override) as client:
        for _ in range(2):
            async with connect(client.app, "/api/v1/echo", subprotocols=["trellis", "bearer.good"]):
                pass
        with pytest.raises(Refused) as refused:
            async with connect(client.app, "/api/v1/echo", subprotocols=["trellis", "bearer.good"]):
                pass
        assert refused.value.status == 429


def test_seconds_left_reads_the_exp_claim() -> None:
    assert seconds_left(Principal(id=KNOWN)) is None
    assert seconds_left(Principal(id=KNOWN, claims={"exp": 0})) == 0.0
    later = seconds_left(Principal(id=KNOWN, claims={"exp": int(time.time()) + 100}))
    assert later is not None
    assert 90 < later <= 100


def test_uvicorns_handshake_lines_lose_their_query_string() -> None:
    record = logging.LogRecord(
        "uvicorn.error",
        logging.INFO,
        __file__,
        1,
        '%s - "WebSocket %s" %d',
        ("127.0.0.1:5000", "/api/v1/notifications?token=SECRET", 403),
        None,
    )
    assert WebSocketPathFilter().filter(record)
    assert "SECRET" not in record.getMessage()
    assert "/api/v1/notifications" in record.getMessage()


def test_the_filter_leaves_other_lines_alone() -> None:
    record = SimpleNamespace(msg="Started server process [%d]", args=(42,))
    assert WebSocketPathFilter().filter(record)  # type: ignore[arg-type]
    assert record.args == (42,)
