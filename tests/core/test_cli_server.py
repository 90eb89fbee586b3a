"""The listening socket `trellis serve` binds for several workers keeps Nagle off."""

from __future__ import annotations

import asyncio
import socket

from core.cli.server import ServerConfig


class _Accepted(asyncio.Protocol):
    def __init__(self, nodelay: asyncio.Future[int]) -> None:
        self.nodelay = nodelay

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        accepted: socket.socket = transport.get_extra_info("socket")
        self.nodelay.set_result(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        transport.close()


async def test_connections_accepted_on_the_bound_socket_have_tcp_nodelay() -> None:
    # What uvicorn's supervisor hands each worker; left as uvicorn binds it, asyncio would
    # leave Nagle on and each keep-alive answer would wait ~40 ms for the client's ACK.
    listener = ServerConfig("core.app:create_served_app", host="127.0.0.1", port=0).bind_socket()
    loop = asyncio.get_running_loop()
    nodelay: asyncio.Future[int] = loop.create_future()
    server = await loop.create_server(lambda: _Accepted(nodelay), sock=listener)
    try:
        port = listener.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        assert await asyncio.wait_for(nodelay, timeout=5) == 1
        writer.close()
    finally:
        server.close()
        await server.wait_closed()
