"""PostgreSQL connections on which no wait outlasts the statement timeout by more than a second.

A server that stops answering (a partition, a stopped host) is otherwise waited for forever
on connections the pool already holds: `connect_timeout` covers only new ones, and
`statement_timeout` only a server that still runs. Three layers bound it:

- the server cancels a statement after `statement_timeout` (lock waits included, so no
  separate `lock_timeout`), and ends a transaction left idle by a vanished client after
  `idle_in_transaction_session_timeout`, so a lost app's locks do not block the others;
- the kernel drops a connection whose peer stopped acknowledging (`tcp_user_timeout`) or
  answering keepalive probes while idle;
- the client gives up on any one wait a second after the statement timeout, when the
  server's own cancel would have arrived, and closes that connection. Nothing else can
  bound it when the kernel still acknowledges (a stopped server process, a proxy).

A closed connection is a disconnect to SQLAlchemy: it is invalidated rather than returned
to the pool, the error answers 503, and the next checkout dials again.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import psycopg
from psycopg.abc import PQGen
from psycopg.pq import TransactionStatus

from core.settings import Settings

RV = TypeVar("RV")
ANSWER_GRACE = 1.0  # seconds past the statement timeout before the client stops waiting
# Probing after 5 s idle: a pooled connection to a vanished host is dropped within seconds,
# not the kernel's default two hours.
_KEEPALIVE = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2}
_KEEPALIVE_COUNT = 3


def answer_bound(settings: Settings) -> float:
    """Seconds after which a wait for the server is given up and its connection closed."""
    return settings.db_statement_timeout_ms / 1000 + ANSWER_GRACE


def connect_args(settings: Settings) -> dict[str, Any]:
    """libpq parameters, server settings and the connection class, for `create_async_engine`."""
    bound = answer_bound(settings)
    options = {
        "statement_timeout": settings.db_statement_timeout_ms,
        "idle_in_transaction_session_timeout": settings.db_idle_in_transaction_timeout_ms,
    }
    return {
        # libpq and psycopg count whole seconds, at least 2.
        "connect_timeout": max(1, round(settings.db_connect_timeout)),
        "options": " ".join(f"-c {name}={value}" for name, value in options.items()),
        **_KEEPALIVE,
        "keepalives_count": _KEEPALIVE_COUNT,
        "tcp_user_timeout": math.ceil(bound * 1000),
        # SQLAlchemy's psycopg dialect opens connections with this instead of the default.
        "async_creator_fn": _opener(bound),
    }


class BoundedConnection(psycopg.AsyncConnection[Any]):
    """An async connection whose every wait for the server ends after `answer_bound` seconds."""

    answer_bound = 11.0  # set on each connection by `connect_args`'s opener

    async def wait(
        self,
        gen: PQGen[RV],
        interval: float = 0.1,
        timeout: float | None = None,  # noqa: ASYNC109 (psycopg's own signature)
    ) -> RV:
        bound = self.answer_bound if timeout is None else min(timeout, self.answer_bound)
        try:
            return await super().wait(gen, interval, timeout=bound)
        except psycopg.OperationalError as error:
            if self.pgconn.transaction_status != TransactionStatus.ACTIVE:
                raise
            # The operation is half done: its answer may still come and would be read as the
            # answer to the next one. Close it so the pool never hands it out again.
            self.pgconn.finish()
            raise psycopg.OperationalError(
                f"the server did not answer within {bound:g}s; connection closed"
            ) from error


def _opener(bound: float) -> Callable[..., Awaitable[BoundedConnection]]:
    async def connect(*args: Any, **kwargs: Any) -> BoundedConnection:
        connection = await BoundedConnection.connect(*args, **kwargs)
        connection.answer_bound = bound
        return connection

    return connect
