"""Rights and the users module: superusers hold every right, `users:admin` administers accounts.

What else a user may do comes from the other modules (`rights_of`, `roles_of`), merged by the
core; the users module shows it to the caller and never asks who granted what.
"""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from core import EVERY_RIGHT, Permission, Principal, Runtime
from modules.users.models import User

ADMINISTER = "users:admin"
PERMISSIONS = [
    Permission(
        ADMINISTER,
        "List, read, change and delete user accounts; a superuser's account and the "
        "superuser flag stay with superusers.",
    )
]


async def superuser_rights(
    *, session: AsyncSession, user_ids: Collection[UUID]
) -> dict[UUID, frozenset[str]]:
    """Every right for each superuser among `user_ids` (this module's `rights_of`)."""
    if not user_ids:
        return {}
    statement = select(User.id).where(col(User.id).in_(user_ids), col(User.is_superuser))
    found = (await session.execute(statement)).scalars().all()
    return dict.fromkeys(found, frozenset({EVERY_RIGHT}))


async def may_administer(*, runtime: Runtime, session: AsyncSession, user: User) -> bool:
    """Whether the modules' stored grants (not a token) let `user` administer accounts."""
    rights = (await runtime.rights_of(session, [user.id]))[user.id]
    return Principal(id=user.id, rights=rights).may(ADMINISTER)


# --- public surface (re-exported by modules.users) --------------------------------------------


async def active_user_ids(*, session: AsyncSession, user_ids: Collection[UUID]) -> set[UUID]:
    """Those of `user_ids` whose accounts exist and are active."""
    if not user_ids:
        return set()
    statement = select(User.id).where(col(User.id).in_(user_ids), col(User.is_active))
    return set((await session.execute(statement)).scalars().all())


async def active_superuser_ids(*, session: AsyncSession) -> set[UUID]:
    """Every active superuser: each holds every right."""
    statement = select(User.id).where(col(User.is_active), col(User.is_superuser))
    return set((await session.execute(statement)).scalars().all())
