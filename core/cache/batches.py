"""Redis commands issued in one turn of the event loop travel together: one connection, one
write, one read of the replies.

Under load, dozens of requests reach their cache read in the same turn of the event loop. Sent
one by one, each pays a write and a read system call and a connection lent and given back;
here they are written in one go on one connection and their replies read in order (Redis
pipelining), so those costs are paid once per batch. No command waits for a later one: a
batch leaves at the end of the turn in which its first command was issued.

The connections are redis-py's own (the URL's host, database, password and TLS; RESP and its
hiredis parser; periodic health checks), but they are lent here rather than by redis-py's pool
and client, which cost more per command than the round trip itself (a lock, telemetry hooks,
a probe of the socket at each checkout, a task per write to time it).

Every batch is bounded: `timeout` to get a connection, then `timeout` to connect, write and
read every reply. A connection error is followed by one retry, at once and on a fresh socket,
of the commands not yet answered: after a Redis restart every idle connection is dead. A
timeout is not retried.
"""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import ConnectionPool
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

__all__ = ["Batches", "Command"]

Command = tuple[str | int, ...]
_Waiting = tuple[Command, "asyncio.Future[Any]"]


class Batches:
    """Runs commands in batches on at most `max_connections` connections."""

    def __init__(
        self, url: str, *, max_connections: int, timeout: float, health_check_interval: int
    ) -> None:
        # redis-py's pool only as a factory: it turns the URL into the connections it makes.
        self._factory = ConnectionPool.from_url(
            url,
            socket_timeout=None,  # each batch is bounded as a whole; a timed write costs a task
            socket_connect_timeout=timeout,
            health_check_interval=health_check_interval,
            decode_responses=True,
        )
        self._timeout = timeout
        self._idle: list[AbstractConnection] = []
        self._slots = asyncio.Semaphore(max_connections)
        self._next: list[_Waiting] = []
        self._sending: set[asyncio.Task[None]] = set()

    async def run(self, command: Command) -> Any:
        """The reply to `command` as redis-py parses it; an error reply is raised."""
        loop = asyncio.get_running_loop()
        reply: asyncio.Future[Any] = loop.create_future()
        if not self._next:
            loop.call_soon(self._send_next)  # after every callback already due this turn
        self._next.append((command, reply))
        return await reply

    def _send_next(self) -> None:
        batch, self._next = self._next, []
        task = asyncio.get_running_loop().create_task(self._send(batch))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, batch: list[_Waiting]) -> None:
        try:
            connection = await self._borrow()
        except BaseException as error:
            _fail(batch, error)
            if not isinstance(error, Exception):
                raise
            return
        try:
            try:
                await self._round_trip(connection, batch)
            except RedisConnectionError:  # a dead idle connection, as after a restart
                unanswered = [waiting for waiting in batch if not waiting[1].done()]
                if unanswered:
                    await self._round_trip(connection, unanswered)
        except BaseException as error:
            _fail(batch, error)
            if not isinstance(error, Exception):
                raise
        finally:
            self._idle.append(connection)  # a broken one was closed: it dials again when used
            self._slots.release()

    async def _borrow(self) -> AbstractConnection:
        if self._slots.locked():  # all lent out: wait for one, within the bound
            async with asyncio.timeout(self._timeout):
                await self._slots.acquire()
        else:
            await self._slots.acquire()  # returns at once
        if self._idle:
            return self._idle.pop()
        made: AbstractConnection = self._factory.make_connection()  # type: ignore[no-untyped-call]
        return made

    async def _round_trip(self, connection: AbstractConnection, batch: list[_Waiting]) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                await connection.send_packed_command(
                    connection.pack_commands([command for command, _ in batch])
                )
                for _, reply in batch:
                    try:
                        value = await connection.read_response()
                    except ResponseError as error:  # read in full: the next reply follows
                        _settle(reply, error=error)
                    else:
                        _settle(reply, value)
        except BaseException:
            # A reply may be half read: never reuse the socket.
            await connection.disconnect(nowait=True)
            raise

    async def close(self) -> None:
        for task in list(self._sending):
            task.cancel()
        await asyncio.gather(*self._sending, return_exceptions=True)
        idle, self._idle = self._idle, []
        await asyncio.gather(*(connection.disconnect() for connection in idle))


def _settle(
    reply: asyncio.Future[Any], value: Any = None, *, error: Exception | None = None
) -> None:
    if reply.done():  # its request was cancelled meanwhile
        return
    if error is None:
        reply.set_result(value)
    else:
        reply.set_exception(error)


def _fail(batch: list[_Waiting], error: BaseException) -> None:
    """Every command of the batch still waiting fails with `error` (or is cancelled with it)."""
    for _, reply in batch:
        if reply.done():
            continue
        if isinstance(error, Exception):
            reply.set_exception(error)
        else:
            reply.cancel()
