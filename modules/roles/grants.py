"""Who holds which role, and what that gives them. Nothing here commits."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core import Runtime
from modules.roles import events
from modules.roles.exceptions import RoleNotFound
from modules.roles.guard import keeping_a_manager
from modules.roles.models import Grant, Role, RolePermission
from modules.roles.permissions import declared


async def lock_role(*, session: AsyncSession, role_id: UUID, share: bool = False) -> Role:
    """The role as last committed, locked until the transaction ends (PostgreSQL).

    A grant shares the lock, a change of the role takes it alone: a grant never reads
    permissions a concurrent change is replacing, and a change sees every grant made before.
    RoleNotFound when it was deleted meanwhile.
    """
    statement = (
        select(Role)
        .where(col(Role.id) == role_id)
        .with_for_update(read=share)
        .execution_options(populate_existing=True)
    )
    role = (await session.execute(statement)).scalars().first()
    if role is None:
        raise RoleNotFound("No role has this name.")
    return role


async def stored_permissions(
    *, session: AsyncSession, role_ids: Collection[UUID]
) -> dict[UUID, set[str]]:
    """Each role's permissions as stored, those of disabled modules included."""
    found: dict[UUID, set[str]] = {role_id: set() for role_id in role_ids}
    if not role_ids:
        return found
    statement = select(col(RolePermission.role_id), col(RolePermission.permission)).where(
        col(RolePermission.role_id).in_(role_ids)
    )
    for role_id, permission in (await session.execute(statement)).all():
        found[role_id].add(permission)
    return found


async def holders_of(*, session: AsyncSession, role_id: UUID) -> set[UUID]:
    """The users the role is granted to."""
    statement = select(col(Grant.user_id)).where(col(Grant.role_id) == role_id)
    return set((await session.execute(statement)).scalars().all())


async def grant_role(*, runtime: Runtime, session: AsyncSession, user_id: UUID, role: Role) -> bool:
    """Grant `role` to the user; False when they hold it already."""
    role = await lock_role(session=session, role_id=role.id, share=True)
    if await session.get(Grant, (user_id, role.id)) is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(Grant(user_id=user_id, role_id=role.id))
            await session.flush()
    except IntegrityError:  # granted by a concurrent request meanwhile
        return False
    permissions = (await stored_permissions(session=session, role_ids=[role.id]))[role.id]
    await events.user_rights_changed(
        runtime, session, [user_id], gained=declared(runtime, permissions)
    )
    return True


async def revoke_role(
    *, runtime: Runtime, session: AsyncSession, user_id: UUID, role: Role
) -> bool:
    """Take `role` back from the user (409 for the last manager); False when not held."""
    async with keeping_a_manager(session=session):
        statement = (
            delete(Grant)
            .where(col(Grant.user_id) == user_id, col(Grant.role_id) == role.id)
            .returning(col(Grant.user_id))
        )
        revoked = (await session.execute(statement)).scalars().all()
    if not revoked:
        return False
    permissions = (await stored_permissions(session=session, role_ids=[role.id]))[role.id]
    await events.user_rights_changed(
        runtime, session, [user_id], lost=declared(runtime, permissions)
    )
    return True


# --- what the core asks (`rights_of`, `roles_of`) ---------------------------------------------


async def granted_permissions(
    *, session: AsyncSession, user_ids: Collection[UUID]
) -> dict[UUID, frozenset[str]]:
    """The permissions each user holds through their roles (the core keeps declared ones)."""
    if not user_ids:
        return {}
    statement = (
        select(col(Grant.user_id), col(RolePermission.permission))
        .join(RolePermission, col(RolePermission.role_id) == col(Grant.role_id))
        .where(col(Grant.user_id).in_(user_ids))
    )
    found: dict[UUID, set[str]] = {}
    for user_id, permission in (await session.execute(statement)).all():
        found.setdefault(user_id, set()).add(permission)
    return {user_id: frozenset(permissions) for user_id, permissions in found.items()}


async def role_names(*, session: AsyncSession, user_id: UUID) -> list[str]:
    """The names of the roles granted to the user, sorted."""
    statement = (
        select(col(Role.name))
        .join(Grant, col(Grant.role_id) == col(Role.id))
        .where(col(Grant.user_id) == user_id)
        .order_by(col(Role.name))
    )
    return list((await session.execute(statement)).scalars().all())
