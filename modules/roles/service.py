"""Roles: listing, creating, changing and deleting them. Nothing here commits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core import Runtime, utcnow
from modules.roles import events
from modules.roles.exceptions import RoleExists, RoleNotFound
from modules.roles.grants import holders_of, lock_role, stored_permissions
from modules.roles.guard import keeping_a_manager
from modules.roles.models import Role, RolePermission
from modules.roles.permissions import checked, declared
from modules.roles.schemas import RoleCreate, RolePublic


async def load_role(*, session: AsyncSession, name: str) -> Role:
    """The role called `name`, or RoleNotFound."""
    statement = select(Role).where(col(Role.name) == name)
    role = (await session.execute(statement)).scalars().first()
    if role is None:
        raise RoleNotFound("No role has this name.")
    return role


async def describe(
    *, runtime: Runtime, session: AsyncSession, roles: Sequence[Role]
) -> list[RolePublic]:
    """The roles as the API shows them: only permissions enabled modules declare."""
    stored = await stored_permissions(session=session, role_ids=[role.id for role in roles])
    return [
        RolePublic(
            name=role.name,
            description=role.description,
            permissions=declared(runtime, stored[role.id]),
        )
        for role in roles
    ]


async def list_roles(
    *, session: AsyncSession, limit: int, offset: int
) -> tuple[Sequence[Role], int]:
    """One page of roles by name, and how many there are."""
    total = (await session.execute(select(func.count()).select_from(Role))).scalar_one()
    page = select(Role).order_by(col(Role.name)).limit(limit).offset(offset)
    return (await session.execute(page)).scalars().all(), total


async def create_role(*, runtime: Runtime, session: AsyncSession, data: RoleCreate) -> Role:
    """A new role; UnknownPermission (422) or RoleExists (409)."""
    permissions = checked(runtime, data.permissions)
    role = Role(name=data.name, description=data.description)
    try:
        async with session.begin_nested():
            session.add(role)
            await session.flush()
    except IntegrityError:
        raise RoleExists("A role with this name already exists.") from None
    session.add_all(RolePermission(role_id=role.id, permission=name) for name in permissions)
    await session.flush()
    return role


async def update_role(
    *, runtime: Runtime, session: AsyncSession, role: Role, changes: Mapping[str, Any]
) -> Role:
    """Apply validated `changes`; `permissions` replaces the declared ones, keeping the
    dormant permissions of disabled modules. Holders' rights change at once."""
    wanted = checked(runtime, changes["permissions"]) if "permissions" in changes else None
    async with keeping_a_manager(session=session):
        role = await lock_role(session=session, role_id=role.id)
        stored = (await stored_permissions(session=session, role_ids=[role.id]))[role.id]
        active = set(declared(runtime, stored))
        added = wanted - active if wanted is not None else set()
        removed = active - wanted if wanted is not None else set()
        described = changes.get("description", role.description)
        if not (added or removed or described != role.description):
            return role
        if removed:
            await session.execute(
                delete(RolePermission).where(
                    col(RolePermission.role_id) == role.id,
                    col(RolePermission.permission).in_(removed),
                )
            )
        session.add_all(RolePermission(role_id=role.id, permission=name) for name in added)
        role.description = described
        role.updated_at = utcnow()
        session.add(role)
        await session.flush()
        holders = await holders_of(session=session, role_id=role.id)
    await events.user_rights_changed(runtime, session, holders, gained=added, lost=removed)
    return role


async def delete_role(*, runtime: Runtime, session: AsyncSession, role: Role) -> None:
    """Delete the role and its grants (409 when that leaves nobody to manage roles)."""
    async with keeping_a_manager(session=session):
        role = await lock_role(session=session, role_id=role.id)
        stored = (await stored_permissions(session=session, role_ids=[role.id]))[role.id]
        holders = await holders_of(session=session, role_id=role.id)
        # The database drops its permissions and grants with it (ON DELETE CASCADE).
        await session.delete(role)
        await session.flush()
    await events.user_rights_changed(runtime, session, holders, lost=declared(runtime, stored))
