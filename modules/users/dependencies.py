"""Who is calling, as a users row, and the user an administrator targets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends

from core import (
    CurrentPrincipal,
    Forbidden,
    Principal,
    RuntimeDep,
    SessionDep,
    module_settings,
    require,
)
from modules.users.config import UsersConfig
from modules.users.exceptions import AccountUnavailable
from modules.users.models import User
from modules.users.rights import ADMINISTER, may_administer
from modules.users.service import load_user

UsersConfigDep = Annotated[UsersConfig, Depends(module_settings(UsersConfig))]


async def current_user(principal: CurrentPrincipal, session: SessionDep) -> User:
    """The caller's row; 401 when it was deleted or deactivated after the token was issued."""
    user = await session.get(User, principal.id)
    if user is None or not user.is_active:
        raise AccountUnavailable()
    return user


CurrentUser = Annotated[User, Depends(current_user)]
Administrator = Annotated[Principal, Depends(require(ADMINISTER))]


async def current_admin(
    _principal: Administrator, user: CurrentUser, runtime: RuntimeDep, session: SessionDep
) -> User:
    """The caller, when the stored grants (not only the token) let them administer accounts."""
    if not await may_administer(runtime=runtime, session=session, user=user):
        raise Forbidden(f"This action needs the permission {ADMINISTER!r}.")
    return user


CurrentAdmin = Annotated[User, Depends(current_admin)]


async def valid_user_id(user_id: UUID, session: SessionDep, _admin: CurrentAdmin) -> User:
    """The targeted user, or 404. Admin-only, and checked first so ids do not leak to others."""
    return await load_user(session=session, user_id=user_id)


TargetUser = Annotated[User, Depends(valid_user_id)]


def refuse_superuser_changes(admin: User, target: User, changes: Mapping[str, Any]) -> None:
    """403 unless a superuser changes a superuser's account or anyone's superuser flag.

    `users:admin` alone must not lead to every right: by changing a superuser's e-mail and
    resetting its password, or by promoting oneself.
    """
    if admin.is_superuser:
        return
    if target.is_superuser:
        raise Forbidden("Only a superuser may change or delete a superuser's account.")
    if "is_superuser" in changes:
        raise Forbidden("Only a superuser may grant or take away superuser rights.")
