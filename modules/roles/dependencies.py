"""Who may manage roles, the role named in the path, and the user a grant targets."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends

from core import Principal, SessionDep, require
from modules.roles.guard import MANAGE
from modules.roles.models import Role
from modules.roles.service import load_role
from modules.users import UserNotFound, get_user

RoleManager = Annotated[Principal, Depends(require(MANAGE))]


async def valid_role(name: str, session: SessionDep, _manager: RoleManager) -> Role:
    """The role named in the path, or 404; checked after the right, so names do not leak."""
    return await load_role(session=session, name=name)


TargetRole = Annotated[Role, Depends(valid_role)]


async def valid_user(user_id: UUID, session: SessionDep, _manager: RoleManager) -> UUID:
    """The id of an existing user, or 404."""
    if await get_user(session=session, user_id=user_id) is None:
        raise UserNotFound(f"No user has the id {user_id}.")
    return user_id


TargetUser = Annotated[UUID, Depends(valid_user)]
