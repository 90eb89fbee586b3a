"""Who is calling, as a users row, and the user an administrator targets."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends

from core import CurrentAdministrator, CurrentPrincipal, Forbidden, SessionDep, module_settings
from modules.users.config import UsersConfig
from modules.users.exceptions import AccountUnavailable
from modules.users.models import User
from modules.users.service import load_user

UsersConfigDep = Annotated[UsersConfig, Depends(module_settings(UsersConfig))]


async def current_user(principal: CurrentPrincipal, session: SessionDep) -> User:
    """The caller's row; 401 when it was deleted or deactivated after the token was issued."""
    user = await session.get(User, principal.id)
    if user is None or not user.is_active:
        raise AccountUnavailable()
    return user


CurrentUser = Annotated[User, Depends(current_user)]


async def current_admin(_principal: CurrentAdministrator, user: CurrentUser) -> User:
    """The caller, when the database (not only the token) says they are a superuser."""
    if not user.is_superuser:
        raise Forbidden("This action needs administrator rights.")
    return user


CurrentAdmin = Annotated[User, Depends(current_admin)]


async def valid_user_id(user_id: UUID, session: SessionDep, _admin: CurrentAdmin) -> User:
    """The targeted user, or 404. Admin-only, and checked first so ids do not leak to others."""
    return await load_user(session=session, user_id=user_id)


TargetUser = Annotated[User, Depends(valid_user_id)]
