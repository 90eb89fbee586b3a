"""Someone must always be able to manage roles: the last holder of `roles:manage` keeps it.

Holders are the active users granted a role holding `roles:manage`, and the active
superusers (who hold every right). A change that would leave none is refused with 409, as
the users module refuses to lose its last superuser.

Concurrent changes are serialised on PostgreSQL by one transaction-scoped advisory lock
(SQLite already runs one writer at a time). A role change takes it first, holding nothing
yet, and waits for it. A change to a user (deactivated, demoted, deleted) only tries it: that
path runs inside the users module's events, possibly after the auth module has taken its
revocation lock, which a role change holding this lock may be waiting for; waiting here
could deadlock, so the rare collision answers 409 to retry instead. Row locks on the roles
would not do: the role being changed is locked before the revocation lock, not after.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from modules.roles.exceptions import LastRoleManager, RoleManagersBusy
from modules.roles.models import Grant, RolePermission
from modules.users import active_superuser_ids, active_user_ids, get_user

MANAGE = "roles:manage"
# The advisory lock of role managers: any constant no other lock of this database uses.
LOCK_KEY = 0x74726C_726F6C65  # "trl" "role"


async def manager_ids(*, session: AsyncSession) -> set[UUID]:
    """Every active user holding `roles:manage`: through a role, or as a superuser."""
    statement = (
        select(col(Grant.user_id))
        .join(RolePermission, col(RolePermission.role_id) == col(Grant.role_id))
        .where(col(RolePermission.permission) == MANAGE)
        .distinct()
    )
    granted = set((await session.execute(statement)).scalars().all())
    active = await active_user_ids(session=session, user_ids=granted)
    return active | await active_superuser_ids(session=session)


@asynccontextmanager
async def keeping_a_manager(*, session: AsyncSession) -> AsyncIterator[None]:
    """Around a role change that may take permissions from someone: 409 if no manager is left.

    Enter it before anything else of the change: it waits for other such changes.
    """
    await _lock(session)
    before = await manager_ids(session=session)
    yield
    await session.flush()
    if before and not await manager_ids(session=session):
        raise LastRoleManager(
            "This would leave nobody who may manage roles; grant roles:manage to someone else "
            "first."
        )


async def on_user_updated(*, session: AsyncSession, user_id: UUID, changed: frozenset[str]) -> None:
    """A user was deactivated or demoted (already flushed): 409 if it was the last manager."""
    if not changed & {"is_active", "is_superuser"}:
        return
    user = await get_user(session=session, user_id=user_id)
    if user is None:
        return
    granted = await _granted_manage(session=session, user_id=user_id)
    was_active = not user.is_active if "is_active" in changed else user.is_active
    was_superuser = not user.is_superuser if "is_superuser" in changed else user.is_superuser
    held = was_active and (was_superuser or granted)
    holds = user.is_active and (user.is_superuser or granted)
    if held and not holds:
        await _refuse_losing_the_last(session=session, user_id=user_id)


async def on_user_deleted(*, session: AsyncSession, user_id: UUID) -> None:
    """A user is being deleted (the row still exists): 409 if it is the last manager."""
    user = await get_user(session=session, user_id=user_id)
    if user is None or not user.is_active:
        return
    if user.is_superuser or await _granted_manage(session=session, user_id=user_id):
        await _refuse_losing_the_last(session=session, user_id=user_id)


async def _refuse_losing_the_last(*, session: AsyncSession, user_id: UUID) -> None:
    if not await _try_lock(session):
        raise RoleManagersBusy("Another change to who may manage roles is being saved; try again.")
    if not await manager_ids(session=session) - {user_id}:
        raise LastRoleManager(
            "This is the last user who may manage roles; grant roles:manage to someone else first."
        )


async def _granted_manage(*, session: AsyncSession, user_id: UUID) -> bool:
    statement = (
        select(func.count())
        .select_from(Grant)
        .join(RolePermission, col(RolePermission.role_id) == col(Grant.role_id))
        .where(col(Grant.user_id) == user_id, col(RolePermission.permission) == MANAGE)
    )
    return bool((await session.execute(statement)).scalar_one())


async def _lock(session: AsyncSession) -> None:
    if await _on_postgres(session):
        await session.execute(select(func.pg_advisory_xact_lock(LOCK_KEY)))


async def _try_lock(session: AsyncSession) -> bool:
    if not await _on_postgres(session):
        return True
    return bool((await session.execute(select(func.pg_try_advisory_xact_lock(LOCK_KEY)))).scalar())


async def _on_postgres(session: AsyncSession) -> bool:
    return (await session.connection()).dialect.name == "postgresql"
