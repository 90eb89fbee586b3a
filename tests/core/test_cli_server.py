"""The listening sockets `trellis serve` binds: Nagle off, connections spread over workers."""

from __future__ import annotations

import asyncio
import socket
import sys
from multiprocessing.reduction import ForkingPickler

import pytest

from core.cli.server import ServerConfig

APP = "core.app:create_served_app"
linux_only = pytest.mark.skipif(sys.platform != "linux", reason="SO_REUSEPORT spreads on Linux")


def _as_a_worker_gets_it(listener: socket.socket) -> socket.socket:
    """The socket as uvicorn's supervisor hands it to a worker: pickled for spawn.

    Only the workers' sockets pickle by themselves; a plain socket would go through
    multiprocessing's fd-sharing thread, which is not what a spawned worker sees.
    """
    if type(listener) is socket.socket:
        return listener  # one worker: uvicorn serves on the socket itself
    received: socket.socket = ForkingPickler.loads(bytes(ForkingPickler.dumps(listener)))
    return received


class _Accepted(asyncio.Protocol):
    def __init__(self, nodelay: asyncio.Future[int]) -> None:
        self.nodelay = nodelay

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        accepted: socket.socket = transport.get_extra_info("socket")
        self.nodelay.set_result(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        transport.close()


@pytest.mark.parametrize("workers", [1, 2])
async def test_connections_a_worker_accepts_have_tcp_nodelay(workers: int) -> None:
    # Left as uvicorn binds it for several workers, asyncio would leave Nagle on and each
    # keep-alive answer would wait ~40 ms for the client's delayed ACK.
    bound = ServerConfig(APP, host="127.0.0.1", port=0, workers=workers).bind_socket()
    listener = _as_a_worker_gets_it(bound)
    loop = asyncio.get_running_loop()
    nodelay: asyncio.Future[int] = loop.create_future()
    server = await loop.create_server(lambda: _Accepted(nodelay), sock=listener)
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", bound.getsockname()[1])
        assert await asyncio.wait_for(nodelay, timeout=5) == 1
        writer.close()
    finally:
        server.close()
        await server.wait_closed()
        bound.close()


@linux_only
def test_each_worker_listens_on_its_own_socket_and_connections_are_spread() -> None:
    bound = ServerConfig(APP, host="127.0.0.1", port=0, workers=2).bind_socket()
    port = bound.getsockname()[1]
    workers = [_as_a_worker_gets_it(bound) for _ in range(2)]
    for worker in workers:
        worker.listen(64)
    clients = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(40)]
    try:
        accepted = []
        for worker in workers:
            worker.setblocking(False)
            count = 0
            while True:
                try:
                    connection, _ = worker.accept()
                except BlockingIOError:
                    break
                connection.close()
                count += 1
            accepted.append(count)
        # By a hash of each connection's ports: all 40 on one socket has odds of 2 ** -39.
        assert sum(accepted) == 40
        assert min(accepted) > 0, accepted
    finally:
        for sock in (*clients, *workers, bound):
            sock.close()


@linux_only
def test_an_address_the_workers_hold_cannot_be_taken_by_a_second_server() -> None:
    bound = ServerConfig(APP, host="127.0.0.1", port=0, workers=2).bind_socket()
    worker = _as_a_worker_gets_it(bound)
    worker.listen(8)
    second = ServerConfig(APP, host="127.0.0.1", port=bound.getsockname()[1], workers=2)
    try:
        with pytest.raises(SystemExit):  # uvicorn's "address already in use", not a silent join
            second.bind_socket()
    finally:
        worker.close()
        bound.close()
