"""WebSockets a third-party module writes with the core alone: authentication, limits, logs."""

from __future__ import annotations

import logging
import re
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
from core.testing.sockets import Refused, connect

KNOWN = uuid4()
router = APIRouter(tags=["echo"])


@router.websocket("/echo")
async def echo(websocket: WebSocket, principal: SocketPrincipal, runtime: RuntimeDep) -> None:
    """Greets the caller by id."""
    await accept_socket(websocket)
    await websocket.send_json({"id": str(principal.id), "pubsub": type(runtime.pubsub).__name__})
    await websocket.close()


@router.websocket("/broken")
async def broken(websocket: WebSocket, after_accepting: bool = False, outage: bool = False) -> None:
    """Fails before accepting, or (`?after_accepting=true`) once accepted; with a bug, or with
    an error the HTTP handlers would answer (`?outage=true`: a 503)."""
    if after_accepting:
        await websocket.accept()
    if outage:
        raise TimeoutError("a backing service did not answer")
    raise RuntimeError("a bug with internals in its message")


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


@pytest.mark.parametrize(
    "query", ["", "?after_accepting=true", "?after_accepting=true&outage=true"]
)
async def test_a_socket_route_that_fails_is_closed_with_1011_and_logged(
    make_client: ClientFactory, caplog: pytest.LogCaptureFixture, query: str
) -> None:
    async with make_client(["echo"], extra_plugins=[Echo()]) as client:
        with caplog.at_level(logging.ERROR, logger="trellis.errors"):
            async with connect(client.app, f"/api/v1/broken{query}") as ws:
                assert await ws.closed() == 1011  # internal error; the message stays here
    [record] = [r for r in caplog.records if r.name == "trellis.errors"]
    assert record.exc_info is not None
    assert re.search(r"WEBSOCKET '/api/v1/broken' request_id=[0-9a-f]{32}$", record.getMessage())


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
