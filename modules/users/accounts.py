"""Changing and removing accounts, by their owner or an administrator. Nothing here commits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from core import Runtime, utcnow
from modules.users import events
from modules.users.exceptions import LastSuperuser, UserNotFound, WrongPassword
from modules.users.models import User
from modules.users.passwords import check_policy, hashing
from modules.users.schemas import UserPublic
from modules.users.service import lock_user, save_unique_email, set_password

# What the admin list shows of each user, read as plain columns.
_PUBLIC_COLUMNS = tuple(getattr(User, name) for name in UserPublic.model_fields)


async def _refuse_losing_last_superuser(*, session: AsyncSession, user: User) -> None:
    """409 when `user` is the only active superuser and is about to stop being one."""
    if not (user.is_active and user.is_superuser):
        return
    # Lock every active superuser row in id order: two admins demoting each other at once
    # serialise here instead of both seeing "one other left" (PostgreSQL; SQLite already
    # serialises writers with BEGIN IMMEDIATE).
    statement = (
        select(User.id)
        .where(col(User.is_active), col(User.is_superuser))
        .order_by(col(User.id))
        .with_for_update()
    )
    ids = (await session.execute(statement)).scalars().all()
    if not [other for other in ids if other != user.id]:
        raise LastSuperuser(
            "This is the last active superuser; promote another user before removing it."
        )


async def update_user(
    *, runtime: Runtime, session: AsyncSession, user: User, changes: Mapping[str, Any]
) -> User:
    """Apply validated `changes`; emits user_updated naming the fields that really changed."""
    updates = dict(changes)
    if updates.get("email", user.email) != user.email:
        updates.setdefault("is_verified", False)  # a new address has not been verified yet
    changed = {name for name, value in updates.items() if getattr(user, name) != value}
    if not changed:
        return user
    if updates.get("is_active") is False or updates.get("is_superuser") is False:
        await _refuse_losing_last_superuser(session=session, user=user)
    for name in changed:
        setattr(user, name, updates[name])
    user.updated_at = utcnow()
    await save_unique_email(session=session, user=user)
    await events.user_updated(runtime, session, user.id, frozenset(changed))
    return user


async def change_password(
    *,
    runtime: Runtime,
    session: AsyncSession,
    user: User,
    current_password: str,
    new_password: str,
) -> None:
    """Self-service change: the current password must be right (WrongPassword otherwise)."""
    check_policy(runtime, new_password, field="new_password")  # before spending a bcrypt check
    async with hashing(runtime) as hasher:
        right = await hasher.verify(current_password, user.hashed_password)
    if not right:
        raise WrongPassword("The current password is wrong.")
    await set_password(runtime=runtime, session=session, user_id=user.id, new_password=new_password)


async def delete_user(*, runtime: Runtime, session: AsyncSession, user: User) -> None:
    """Emit user_deleted while the row still exists, then delete it."""
    # Locked first: of two deletions racing, the second finds no row (404) rather than
    # announcing user_deleted a second time.
    if await lock_user(session=session, user_id=user.id) is None:
        raise UserNotFound("No user has this id.")
    await _refuse_losing_last_superuser(session=session, user=user)
    await events.user_deleted(runtime, session, user.id)
    await session.delete(user)
    await session.flush()


async def list_users(
    *,
    session: AsyncSession,
    limit: int,
    offset: int,
    email: str | None = None,
    is_active: bool | None = None,
) -> tuple[list[UserPublic], int]:
    """One page of users, oldest first, and how many match in total.

    One statement in the usual case: the shown columns only (no ORM objects to build for a
    page that is only serialised) and the total as a window count beside each row.
    """
    total_column = func.count().over().label("total")
    statement = sqlalchemy.select(*_PUBLIC_COLUMNS, total_column)
    if email:
        # Stored emails are lower-case; autoescape so `%` and `_` match literally.
        statement = statement.where(col(User.email).contains(email.lower(), autoescape=True))
    if is_active is not None:
        statement = statement.where(col(User.is_active) == is_active)
    page = statement.order_by(col(User.created_at), col(User.id)).limit(limit).offset(offset)
    rows = (await session.execute(page)).all()
    if rows:
        return [UserPublic.model_validate(row) for row in rows], int(rows[0].total)
    if not offset:
        return [], 0
    # Past the last page the window counts nothing: count on its own.
    counted = select(func.count()).select_from(statement.with_only_columns(col(User.id)).subquery())
    return [], (await session.execute(counted)).scalar_one()
