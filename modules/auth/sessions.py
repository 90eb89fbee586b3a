"""Login sessions in the database, and keeping the cached snapshots in step with them.

Cached state only ever loses rights ahead of the commit: revocation markers and lowered
rights are written inside the caller's transaction, before it commits, since writing after
the commit could let a just-revoked token through. Each such write is stamped
(`modules.auth.revocations`), so a cache that later loses it is recognised as rewound.
Rights are granted only once the commit has landed, under the counter lock, and a rollback
drops the snapshots it touched, so the next request reloads the truth from the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from uuid import UUID

from sqlalchemy import Update, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core import Runtime, on_commit, on_rollback, utcnow
from modules.auth import snapshots
from modules.auth.config import AuthConfig
from modules.auth.models import AuthSession
from modules.auth.revocations import lock_counter, publish_stamp, stamp_revocation
from modules.auth.snapshots import REVOKED, Snapshot
from modules.users import UserAccount, get_user


def snapshot_of(user: UserAccount | None) -> Snapshot:
    """What the resolver caches for a session of `user`; a missing user is revoked."""
    if user is None:
        return REVOKED
    return Snapshot(
        user_id=user.id,
        is_active=user.is_active,
        is_superuser=user.is_superuser,
    )


async def load_snapshot(*, session: AsyncSession, session_id: UUID) -> Snapshot:
    """The session's current state from the database (the resolver's cache-miss path)."""
    row = await session.get(AuthSession, session_id)
    if row is None or row.revoked_at is not None:
        return REVOKED
    return snapshot_of(await get_user(session=session, user_id=row.user_id))


async def active_sessions(*, session: AsyncSession, user_id: UUID) -> Sequence[AuthSession]:
    """The user's sessions that are neither revoked nor expired, most recently used first."""
    query = (
        select(AuthSession)
        .where(
            col(AuthSession.user_id) == user_id,
            col(AuthSession.revoked_at).is_(None),
            col(AuthSession.expires_at) > utcnow(),
        )
        .order_by(col(AuthSession.last_used_at).desc())
    )
    return (await session.execute(query)).scalars().all()


async def revoke_session(
    *, runtime: Runtime, session: AsyncSession, session_id: UUID, user_id: UUID | None = None
) -> bool:
    """Revoke one session (of `user_id`, when given); False when there was none to revoke."""
    query = update(AuthSession).where(
        col(AuthSession.id) == session_id, col(AuthSession.revoked_at).is_(None)
    )
    if user_id is not None:
        query = query.where(col(AuthSession.user_id) == user_id)
    revoked = await _revoke(runtime=runtime, session=session, query=query)
    return bool(revoked)


async def revoke_user_sessions(*, runtime: Runtime, session: AsyncSession, user_id: UUID) -> int:
    """Revoke every session of the user; their access tokens fail from now on."""
    query = update(AuthSession).where(
        col(AuthSession.user_id) == user_id, col(AuthSession.revoked_at).is_(None)
    )
    return len(await _revoke(runtime=runtime, session=session, query=query))


async def refresh_user_snapshots(*, runtime: Runtime, session: AsyncSession, user_id: UUID) -> None:
    """Rewrite the cached snapshots of the user's sessions, so new rights apply at once."""
    user = await get_user(session=session, user_id=user_id)
    if user is None or not user.is_active:
        await revoke_user_sessions(runtime=runtime, session=session, user_id=user_id)
        return
    ids = [row.id for row in await active_sessions(session=session, user_id=user_id)]
    updated = snapshot_of(user)
    lowered = replace(updated, is_superuser=False)
    await _lower(runtime=runtime, session=session, session_ids=ids, snapshot=lowered)
    if ids and updated != lowered:
        on_commit(session, partial(_grant, runtime, user_id))


async def _revoke(*, runtime: Runtime, session: AsyncSession, query: Update) -> list[UUID]:
    statement = (
        query.values(revoked_at=utcnow())
        .returning(col(AuthSession.id))
        .execution_options(synchronize_session=False)
    )
    ids = list((await session.execute(statement)).scalars().all())
    await _lower(runtime=runtime, session=session, session_ids=ids, snapshot=REVOKED)
    return ids


async def _lower(
    *, runtime: Runtime, session: AsyncSession, session_ids: list[UUID], snapshot: Snapshot
) -> None:
    """Stamp a revocation, write its markers, then the stamp that vouches for them."""
    if not session_ids:
        return  # nothing to revoke: no stamp, so a refused request leaves the cache alone
    stamp = await stamp_revocation(runtime=runtime, session=session)
    ttl = runtime.settings_for(AuthConfig).snapshot_ttl
    cache = runtime.cache
    await snapshots.overwrite(
        cache, epoch=stamp.epoch, session_ids=session_ids, snapshot=snapshot, ttl=ttl
    )
    await publish_stamp(runtime=runtime, stamp=stamp)
    on_rollback(
        session, partial(snapshots.forget, cache, epoch=stamp.epoch, session_ids=session_ids)
    )


async def _grant(runtime: Runtime, user_id: UUID) -> None:
    """After a commit that raised rights: write them, holding the counter lock.

    The lock orders this write with every revocation's markers: one committed before is
    seen here (its sessions are no longer active), one after overwrites this.
    """
    async with runtime.transaction() as session:
        counter = await lock_counter(session=session)
        user = await get_user(session=session, user_id=user_id)
        if user is None or not user.is_active:
            return
        ids = [row.id for row in await active_sessions(session=session, user_id=user_id)]
        await snapshots.overwrite(
            runtime.cache,
            epoch=counter.epoch,
            session_ids=ids,
            snapshot=snapshot_of(user),
            ttl=runtime.settings_for(AuthConfig).snapshot_ttl,
        )
