"""A TCP relay in front of a real server, so a test can cut the network and restore it."""

from __future__ import annotations

import asyncio
import contextlib


class TcpRelay:
    """Listens on a loopback port and pipes every connection to `upstream`.

    `stop()` is a lost network (connections reset, new ones refused); `pause()` is a silent
    one (a partition, or a server stopped with SIGSTOP): every connection stays open, new ones
    are accepted, and no byte goes through until `resume()`.
    """

    def __init__(self, host: str, port: int) -> None:
        self._upstream = (host, port)
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self._handlers: set[asyncio.Future[None]] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()
        self.port = 0

    async def start(self) -> None:
        """Start listening; after a `stop()` this reopens the same port."""
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Refuse new connections and abort the open ones, as a lost network would."""
        if self._server is None:
            return
        self._server.close()
        for writer in self._writers:
            writer.transport.abort()
        for handler in self._handlers:
            handler.cancel()  # a paused pipe would otherwise wait for `resume()`
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()
        self._writers.clear()
        self._server = None
        self._flowing.set()

    def pause(self) -> None:
        """Stop forwarding in both directions, closing nothing: the peers hear only silence."""
        self._flowing.clear()

    def resume(self) -> None:
        """Forward again, starting with what arrived during the pause (TCP retransmits it)."""
        self._flowing.set()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # In a task of its own that `stop()` may cancel: asyncio 3.11 reports a cancelled
        # connection handler as an error in a callback.
        forwarding = asyncio.ensure_future(self._forward(reader, writer))
        self._handlers.add(forwarding)
        try:
            with contextlib.suppress(asyncio.CancelledError):
                await forwarding
        finally:
            self._handlers.discard(forwarding)

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        await self._flowing.wait()  # a silent server accepts, then never answers
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._upstream)
        except OSError:
            writer.transport.abort()
            return
        self._writers.append(up_writer)
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                await self._flowing.wait()
                writer.write(data)
                await writer.drain()
            await self._flowing.wait()  # a close is news the silent network holds back too
        finally:
            writer.close()
