"""`uvicorn.run`, with TCP_NODELAY on every worker's connections and the connections spread.

With several workers (or `--reload`) uvicorn binds the listening socket itself and leaves its
`proto` at 0. Accepted connections inherit it, and asyncio turns Nagle's algorithm off only on
sockets that say IPPROTO_TCP, so each response's last segment waited for the client's delayed
ACK: about 40 ms per keep-alive request on Linux, whatever the app does (Kludex/uvicorn#3149,
open). One worker binds through asyncio, which gets it right.

uvicorn's workers also share that one socket, and asyncio accepts up to the backlog per
wake-up, so whichever worker wakes first takes a whole burst of new connections (a load
balancer's pool, a client opening 64 at once) and the others idle. On Linux each worker listens
on a socket of its own instead (SO_REUSEPORT), and the kernel spreads connections over them.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import ChangeReload, Multiprocess

__all__ = ["ServerConfig", "run_uvicorn"]

_TCP = (socket.AF_INET, socket.AF_INET6)
# Elsewhere SO_REUSEPORT exists but hands every connection to one of the sockets.
_SPREADS = sys.platform == "linux"


class ServerConfig(uvicorn.Config):
    """uvicorn's settings, binding a listening socket that says it is TCP, one per worker."""

    def bind_socket(self) -> socket.socket:
        # uvicorn's bind first: it logs the address, and fails at once if another process
        # holds it (which the shared sockets below would otherwise join).
        sock = super().bind_socket()
        if sock.family not in _TCP:
            return sock
        if self.workers > 1 and _SPREADS:
            family, address = sock.family, sock.getsockname()
            sock.close()
            return _bind_shared(family, address, kind=_WorkerListeners)
        tcp = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        tcp.set_inheritable(True)  # `--reload` starts its server process with it
        return tcp


class _WorkerListeners(socket.socket):
    """The address the workers listen on, each on a socket of its own.

    uvicorn starts each worker with multiprocessing's spawn, which pickles the sockets it is
    given: this one arrives as a new socket bound to the same address, which that worker
    listens on. The supervisor's own never listens, so it never takes a connection.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return _bind_shared, (self.family, self.getsockname())


def _bind_shared(
    family: int, address: Any, kind: type[socket.socket] = socket.socket
) -> socket.socket:
    sock = kind(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    sock.set_inheritable(True)
    return sock


def run_uvicorn(app: str, **options: Any) -> None:
    """Serve `app` (an import string) as `uvicorn.run(app, **options)` would."""
    config = ServerConfig(app, **options)
    server = uvicorn.Server(config)
    try:
        if config.should_reload:
            ChangeReload(config, target=server.run, sockets=[config.bind_socket()]).run()
        elif config.workers > 1:
            Multiprocess(config, sockets=[config.bind_socket()]).run()
        else:
            server.run()
    except KeyboardInterrupt:
        pass
    if not server.started and not config.should_reload and config.workers == 1:
        sys.exit(STARTUP_FAILURE)
