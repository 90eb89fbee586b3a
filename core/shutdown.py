"""Graceful shutdown: on SIGTERM, readiness turns 503 before the server stops accepting.

uvicorn, on SIGTERM, closes its listening sockets at once, lets in-flight requests finish
(within `timeout_graceful_shutdown`: SHUTDOWN_TIMEOUT under `trellis serve`), then runs the
lifespan's exit, which closes the pools. A load balancer that polls readiness only learns of
the shutdown if it can still ask: for SHUTDOWN_DRAIN seconds after SIGTERM this process keeps
serving while readiness answers 503, and only then hands the signal to the server. SIGINT
(Ctrl-C) and a second SIGTERM go to the server at once.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from core.records import HealthCheck

__all__ = ["Shutdown", "ShuttingDown"]

log = logging.getLogger("trellis.shutdown")


class ShuttingDown(Exception):
    """This process received SIGTERM: readiness fails so traffic goes elsewhere."""


class Shutdown:
    """Whether this process is draining, and the SIGTERM handler that starts it."""

    def __init__(self, *, drain: float) -> None:
        self.drain = drain
        self.draining = False

    def check(self) -> HealthCheck:
        """The readiness check `shutdown`: it fails from SIGTERM on."""
        return HealthCheck("shutdown", probe=self._probe)

    async def _probe(self) -> None:
        if self.draining:
            raise ShuttingDown("draining before shutdown")

    @contextmanager
    def on_sigterm(self) -> Iterator[None]:
        """While serving: put our handler in front of the server's, and take it out after.

        Only a server's own handler is wrapped; without one (an app under test, in-process)
        SIGTERM is left alone. Entered from the lifespan, inside the running event loop.
        """
        server = signal.getsignal(signal.SIGTERM)
        if threading.current_thread() is not threading.main_thread() or not callable(server):
            yield
            return
        loop = asyncio.get_running_loop()

        def stop_later(signum: int, frame: FrameType | None) -> None:
            log.info("SIGTERM: readiness fails from now; stopping in %gs", self.drain)
            loop.call_later(self.drain, server, signum, frame)

        def handle(signum: int, frame: FrameType | None) -> None:
            if self.draining or not self.drain:
                self.draining = True
                server(signum, frame)
                return
            self.draining = True
            # A signal handler may interrupt the loop anywhere: hand over the thread-safe way.
            loop.call_soon_threadsafe(stop_later, signum, frame)

        signal.signal(signal.SIGTERM, handle)
        try:
            yield
        finally:
            if signal.getsignal(signal.SIGTERM) is handle:
                signal.signal(signal.SIGTERM, server)
