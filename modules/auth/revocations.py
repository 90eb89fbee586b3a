"""The revocation counter in the database, and keeping the cache honest about it.

Every revocation (logout, session deletion, password change, deactivation, deletion, lowered
rights, refresh-token reuse) updates its session rows, then takes the counter row's lock,
draws the next stamp, writes its markers to the cache and then the stamp, and commits:
revocations stamp, write and commit one at a time, so the cache's history is ordered like the
database's. Before drawing, it checks that the cache covers the previous stamp; when it does
not (the cache rewound or lost keys), the revocation opens a new epoch instead of vouching for
snapshots it cannot see. A revocation that finds nothing to revoke draws no stamp. The nonce
tells a rolled-back revocation's stamp (still in the cache) from the committed one that later
draws the same number.

Each instance learns the database's stamp at start-up, every `revocation_poll_seconds` (a
lifespan task), after any failure of its cache calls, and from its own commits. A resolver
that finds the cache's stamp behind that bypasses the cache (one database read) and starts a
repair: under the counter lock, if the cache still does not cover the database, the epoch
moves on and the new stamp is written; every snapshot of the old epoch is abandoned, so
whatever the rewound cache brought back is never read again. A denial (`auth:deny:<jti>`)
is honoured even from a doubtful cache: revocations are never undone.

What "never" rests on, the residual assumptions:

- A rewind is noticed when the rewound cache's stamp is behind the one this instance knows:
  a revocation committed on this instance, any stamp a request here has read from the cache,
  or the database as of the last poll. So a resurrection needs all of: the lost revocation was
  committed on another instance less than a poll interval before the rewound cache answered,
  no request here read the cache in between, and no cache call here failed (a restart or a
  failover drops connections; a failed call makes the next request reread the database). A
  connection silently re-established by the client library (or by a proxy in front of Redis)
  is not seen as a failure.
- Every instance shares one cache. Instances with caches of their own (the in-process one
  on several hosts) would each find the others' stamps missing and keep repairing.
- Clocks play no part; the TTLs of Redis keys restored from a dump still end when they would
  have, so a restored snapshot never outlives the access tokens it speaks for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from functools import partial

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core import Runtime, on_commit
from modules.auth import snapshots
from modules.auth.config import AuthConfig
from modules.auth.models import RevocationCounter
from modules.auth.watermark import ORIGIN, Stamp, Watermark, watermark_for

log = logging.getLogger("trellis.auth")
COUNTER_ID = 1


def _stamp_of(row: RevocationCounter) -> Stamp:
    return Stamp(epoch=row.epoch, seq=row.seq, nonce=row.nonce)


async def database_stamp(*, session: AsyncSession) -> Stamp:
    """The latest committed stamp (the origin before the first revocation)."""
    row = await session.get(RevocationCounter, COUNTER_ID)
    return ORIGIN if row is None else _stamp_of(row)


async def lock_counter(*, session: AsyncSession) -> RevocationCounter:
    """The counter row, locked until the transaction ends; created when missing.

    PostgreSQL locks the row; SQLite already runs one write transaction at a time.
    """
    query = (
        select(RevocationCounter)
        .where(col(RevocationCounter.id) == COUNTER_ID)
        .with_for_update()
        .execution_options(populate_existing=True)  # the locked row, not an earlier read of it
    )
    row = (await session.execute(query)).scalar_one_or_none()
    if row is None:
        with contextlib.suppress(IntegrityError):  # another transaction created it first
            async with session.begin_nested():
                session.add(RevocationCounter(id=COUNTER_ID))
        row = (await session.execute(query)).scalar_one()
    return row


async def stamp_revocation(*, runtime: Runtime, session: AsyncSession) -> Stamp:
    """Draw the stamp of a revocation in this transaction; write its markers, then the stamp.

    Holds the counter lock until the caller's transaction ends. The instance learns the
    stamp when (and only if) the transaction commits.
    """
    row = await lock_counter(session=session)
    cached = await snapshots.read_stamp(runtime.cache)
    if cached is None or not cached.covers(_stamp_of(row)):
        row.epoch += 1  # the cache lost markers: vouch only for a namespace nobody has filled
    row.seq += 1
    row.nonce = secrets.token_hex(8)
    await session.flush()
    stamp = _stamp_of(row)
    on_commit(session, partial(_learn, watermark_for(runtime), stamp))
    return stamp


async def publish_stamp(*, runtime: Runtime, stamp: Stamp) -> None:
    """After the revocation's markers: a cache holding this stamp holds them too."""
    await snapshots.write_stamp(runtime.cache, stamp)


async def _learn(mark: Watermark, stamp: Stamp) -> None:
    mark.learn(stamp)


async def refresh(runtime: Runtime) -> None:
    """Reread the stamp from the database; concurrent callers share one read.

    A read already under way is shared only when it began after the last doubt.
    """
    mark = watermark_for(runtime)
    task = mark.reading
    if task is None or task.done() or mark.reading_doubts != mark.doubts:
        task = asyncio.ensure_future(_read(runtime, mark, mark.doubts))
        task.add_done_callback(_observed)
        mark.reading, mark.reading_doubts = task, mark.doubts
    await asyncio.shield(task)


def _observed(task: asyncio.Task[None]) -> None:
    # Its waiters get the error; this only keeps asyncio from logging it as never retrieved.
    if not task.cancelled():
        task.exception()


async def _read(runtime: Runtime, mark: Watermark, doubts: int) -> None:
    async with runtime.read_sessions() as session:
        stamp = await database_stamp(session=session)
    mark.confirm(stamp, doubts=doubts)


def start_recovery(runtime: Runtime) -> None:
    """Repair the cache in the background, once at a time per instance."""
    mark = watermark_for(runtime)
    if mark.recovery is None or mark.recovery.done():
        mark.recovery = asyncio.get_running_loop().create_task(_recover_quietly(runtime))


async def _recover_quietly(runtime: Runtime) -> None:
    try:
        await recover(runtime)
    except Exception as error:  # the next doubtful request starts another
        log.warning("could not check the cache's revocation stamp: %r", error)


async def recover(runtime: Runtime) -> None:
    """Learn the database's stamp; if the cache does not cover it, repair the cache."""
    mark = watermark_for(runtime)
    await refresh(runtime)
    # Read after the database: a revocation committing in between only moves the cache ahead.
    cached = await snapshots.read_stamp(runtime.cache)
    if cached is not None and cached.covers(mark.known):
        return
    await _repair(runtime, mark)


async def _repair(runtime: Runtime, mark: Watermark) -> None:
    async with runtime.transaction() as session:
        row = await lock_counter(session=session)
        current = _stamp_of(row)
        cached = await snapshots.read_stamp(runtime.cache)
        if cached is None or not cached.covers(current):
            row.epoch += 1
            await session.flush()
            stamp = _stamp_of(row)
            # Under the lock: no revocation is between its markers and its commit.
            await snapshots.write_stamp(runtime.cache, stamp)
            # No stamp at all is a new or emptied cache (every start of the in-process one);
            # an older one is a cache restored from a dump or a replica promoted.
            log.log(
                logging.INFO if cached is None else logging.WARNING,
                "the cache's revocation stamp is %s, the database's %s: session snapshots "
                "move to epoch %d, the cache's older ones are never read again",
                cached.dump() if cached else "missing",
                current.dump(),
                stamp.epoch,
            )
            current = stamp
    mark.learn(current)


@contextlib.asynccontextmanager
async def watch(runtime: Runtime) -> AsyncIterator[None]:
    """The lifespan: check the cache at start-up, then poll the database's stamp."""
    await _recover_quietly(runtime)
    interval = runtime.settings_for(AuthConfig).revocation_poll_seconds
    poller = asyncio.get_running_loop().create_task(_poll(runtime, interval))
    try:
        yield
    finally:
        mark = watermark_for(runtime)
        for task in (poller, mark.recovery, mark.reading):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task


async def _poll(runtime: Runtime, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await refresh(runtime)
        except Exception as error:  # a database outage: requests report it
            log.debug("revocation stamp poll failed: %r", error)
