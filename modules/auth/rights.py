"""Keeping the rights and claims cached with each session in step with the modules.

A session's snapshot carries its user's rights (`rights_of`) and what the modules say about
them (`principal_claims`), every module's merged by the core, so a request checks a
permission or shows the caller without another round trip. When either changes (any field of
the user, a role granted, revoked or edited), every live session of theirs is rewritten:
before the commit with only the rights the user keeps and no claims (what this transaction
may add must not show before it lands; readers of claims go to the database meanwhile),
after the commit in full, under the counter lock that orders it with revocations. A change
that only adds, or leaves the rights alone, skips the first write.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import partial
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from core import EVERY_RIGHT, Runtime, on_commit
from modules.auth import snapshots
from modules.auth.config import AuthConfig
from modules.auth.revocations import lock_counter
from modules.auth.sessions import lower, revoke_sessions_of, session_owners
from modules.auth.snapshots import Snapshot
from modules.users import active_user_ids, get_user

# The user fields a session's rights depend on; any other only changes its claims.
RIGHTS_FIELDS = frozenset({"is_active", "is_superuser"})
# Users per query when many change at once (a role with many holders): SQLite caps the
# number of parameters one statement may bind.
BATCH = 500


async def refresh_rights(
    *,
    runtime: Runtime,
    session: AsyncSession,
    user_ids: Collection[UUID],
    gained: frozenset[str] = frozenset(),
    lowered: bool = True,
) -> None:
    """Rewrite the snapshots of these users' live sessions: their rights changed in `session`.

    `gained` names the rights the change may add, `lowered` says whether it may take some
    away. Sessions of users who are now inactive or deleted are revoked.
    """
    wanted = sorted(set(user_ids))
    for start in range(0, len(wanted), BATCH):
        batch = wanted[start : start + BATCH]
        active = await active_user_ids(session=session, user_ids=batch)
        gone = [user_id for user_id in batch if user_id not in active]
        if gone:
            await revoke_sessions_of(runtime=runtime, session=session, user_ids=gone)
        if lowered and active:
            await _lower_rights(runtime, session, active, gained)
    if wanted:
        on_commit(session, partial(_grant, runtime, wanted))


async def on_user_updated(
    *, runtime: Runtime, session: AsyncSession, user_id: UUID, changed: frozenset[str]
) -> None:
    """Any field changed: the claims follow; a superuser holds every right.

    A change that leaves the rights alone (a name, an address) is only written after the
    commit, before the response leaves: lowering first would hold the counter lock through
    the request's transaction and queue every profile change behind every other.
    """
    if not changed & RIGHTS_FIELDS:
        await refresh_rights(runtime=runtime, session=session, user_ids=[user_id], lowered=False)
        return
    user = await get_user(session=session, user_id=user_id)
    promoted = "is_superuser" in changed and user is not None and user.is_superuser
    await refresh_rights(
        runtime=runtime,
        session=session,
        user_ids=[user_id],
        gained=frozenset({EVERY_RIGHT}) if promoted else frozenset(),
        lowered=not promoted,
    )


async def _lower_rights(
    runtime: Runtime, session: AsyncSession, user_ids: set[UUID], gained: frozenset[str]
) -> None:
    # Sessions are listed under the counter lock: one revoked (and committed) just before
    # must keep its marker, not get the snapshot of a live session written over it.
    await lock_counter(session=session)
    owners = await session_owners(session=session, user_ids=user_ids)
    if not owners:
        return
    rights = await runtime.rights_of(session, user_ids)
    kept = {
        session_id: Snapshot(user_id=user_id, is_active=True, rights=rights[user_id] - gained)
        for session_id, user_id in owners.items()
    }
    await lower(runtime=runtime, session=session, written=kept)


async def _grant(runtime: Runtime, user_ids: list[UUID]) -> None:
    """After the commit: write the users' rights in full, holding the counter lock.

    The lock orders this write with every revocation's markers: one committed before is
    seen here (its sessions are no longer live), one after overwrites this. Sessions opened
    meanwhile, which may have cached what the database said before the commit, are
    rewritten too.
    """
    ttl = runtime.settings_for(AuthConfig).snapshot_ttl
    async with runtime.transaction() as session:
        counter = await lock_counter(session=session)
        for start in range(0, len(user_ids), BATCH):
            active = await active_user_ids(
                session=session, user_ids=user_ids[start : start + BATCH]
            )
            owners = await session_owners(session=session, user_ids=active)
            if not owners:
                continue
            holders = set(owners.values())
            rights = await runtime.rights_of(session, holders)
            claims = await runtime.claims_of(session, holders)
            full = {
                session_id: Snapshot(
                    user_id=user_id, is_active=True, rights=rights[user_id], claims=claims[user_id]
                )
                for session_id, user_id in owners.items()
            }
            await snapshots.overwrite(runtime.cache, epoch=counter.epoch, snapshots=full, ttl=ttl)
