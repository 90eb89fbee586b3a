"""Login sessions in the database, and keeping the cached snapshots in step with them.

Cached state only ever loses rights ahead of the commit: revocation markers and lowered
rights are written inside the caller's transaction, before it commits, since writing after
the commit could let a just-revoked token through. Each such write is stamped
(`modules.auth.revocations`), so a cache that later loses it is recognised as rewound.
Rights are granted only once the commit has landed, under the counter lock, and a rollback
drops the snapshots it touched, so the next request reloads the truth from the database
(changes of rights: `modules.auth.rights`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from functools import partial
from uuid import UUID

from sqlalchemy import Update, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core import Runtime, on_rollback, utcnow
from modules.auth import events, snapshots
from modules.auth.config import AuthConfig
from modules.auth.models import AuthSession
from modules.auth.revocations import publish_stamp, stamp_revocation
from modules.auth.snapshots import REVOKED, Snapshot
from modules.users import get_user


async def load_snapshot(*, runtime: Runtime, session: AsyncSession, session_id: UUID) -> Snapshot:
    """The session's current state from the database (the resolver's cache-miss path)."""
    row = await session.get(AuthSession, session_id)
    if row is None or row.revoked_at is not None:
        return REVOKED
    user = await get_user(session=session, user_id=row.user_id)
    if user is None:
        return REVOKED
    if not user.is_active:
        return Snapshot(user_id=user.id, is_active=False)
    rights = await runtime.rights_of(session, [user.id])
    claims = await runtime.claims_of(session, [user.id])
    return Snapshot(user_id=user.id, is_active=True, rights=rights[user.id], claims=claims[user.id])


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


async def session_owners(*, session: AsyncSession, user_ids: Collection[UUID]) -> dict[UUID, UUID]:
    """The live (neither revoked nor expired) sessions of these users: session id -> user id."""
    if not user_ids:
        return {}
    query = select(col(AuthSession.id), col(AuthSession.user_id)).where(
        col(AuthSession.user_id).in_(user_ids),
        col(AuthSession.revoked_at).is_(None),
        col(AuthSession.expires_at) > utcnow(),
    )
    return {session_id: user_id for session_id, user_id in (await session.execute(query)).all()}


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
    return await revoke_sessions_of(runtime=runtime, session=session, user_ids=[user_id])


async def revoke_sessions_of(
    *, runtime: Runtime, session: AsyncSession, user_ids: Collection[UUID]
) -> int:
    """Revoke every session of these users; their access tokens fail from now on."""
    query = update(AuthSession).where(
        col(AuthSession.user_id).in_(user_ids), col(AuthSession.revoked_at).is_(None)
    )
    return len(await _revoke(runtime=runtime, session=session, query=query))


async def _revoke(*, runtime: Runtime, session: AsyncSession, query: Update) -> list[UUID]:
    statement = (
        query.values(revoked_at=utcnow())
        .returning(col(AuthSession.id), col(AuthSession.user_id))
        .execution_options(synchronize_session=False)
    )
    owners = {session_id: user_id for session_id, user_id in await session.execute(statement)}
    await lower(runtime=runtime, session=session, written=dict.fromkeys(owners, REVOKED))
    by_user: dict[UUID, set[UUID]] = {}
    for session_id, user_id in owners.items():
        by_user.setdefault(user_id, set()).add(session_id)
    for user_id, session_ids in sorted(by_user.items()):
        await events.session_revoked(runtime, session, user_id, frozenset(session_ids))
    return list(owners)


async def lower(
    *, runtime: Runtime, session: AsyncSession, written: Mapping[UUID, Snapshot]
) -> None:
    """Stamp a revocation, write its snapshots (by session id), then the stamp vouching for them.

    For snapshots holding no more than both before and after the caller's change: a
    revocation marker, or the rights a user keeps. A rollback drops them again.
    """
    if not written:
        return  # nothing to revoke: no stamp, so a refused request leaves the cache alone
    stamp = await stamp_revocation(runtime=runtime, session=session)
    ttl = runtime.settings_for(AuthConfig).snapshot_ttl
    cache = runtime.cache
    await snapshots.overwrite(cache, epoch=stamp.epoch, snapshots=written, ttl=ttl)
    await publish_stamp(runtime=runtime, stamp=stamp)
    on_rollback(
        session, partial(snapshots.forget, cache, epoch=stamp.epoch, session_ids=list(written))
    )
