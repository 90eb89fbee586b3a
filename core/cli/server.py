"""`uvicorn.run`, with TCP_NODELAY on the connections of every worker.

With several workers (or `--reload`) uvicorn binds the listening socket itself and leaves its
`proto` at 0. Accepted connections inherit it, and asyncio turns Nagle's algorithm off only on
sockets that say IPPROTO_TCP, so each response's last segment waited for the client's delayed
ACK: about 40 ms per keep-alive request on Linux, whatever the app does (Kludex/uvicorn#3149,
open). One worker binds through asyncio, which gets it right.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import ChangeReload, Multiprocess

__all__ = ["ServerConfig", "run_uvicorn"]


class ServerConfig(uvicorn.Config):
    """uvicorn's settings, binding a listening socket that says it is TCP."""

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return sock
        tcp = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        tcp.set_inheritable(True)  # the workers are started with it
        return tcp


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
