"""What `GET /users/me` shows, said once per session so each request reads it from the token.

The users module answers `principal_claims` with the caller's account and role names; the
authenticating module caches that with the session and hands it back in `Principal.claims`.
It stays true because every change to these fields publishes `user_updated`, and role
changes `user_rights_changed`, on which the authenticating module rewrites the snapshot.
Where the claims are absent (a snapshot being rewritten around a commit) or unreadable, the
database answers.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from uuid import UUID

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from core import Principal, Runtime
from modules.users.exceptions import AccountUnavailable
from modules.users.models import User
from modules.users.schemas import UserMe, UserPublic

CLAIM = "users"  # this module's key in `Principal.claims`


async def caller_claims(
    *, runtime: Runtime, session: AsyncSession, user_ids: Collection[UUID]
) -> dict[UUID, Mapping[str, object]]:
    """Each existing user's account and role names, as JSON (this module's `principal_claims`)."""
    if not user_ids:
        return {}
    statement = select(User).where(col(User.id).in_(user_ids))
    found: dict[UUID, Mapping[str, object]] = {}
    for user in (await session.execute(statement)).scalars().all():
        account = UserPublic.model_validate(user).model_dump(mode="json")
        roles = await runtime.roles_of(session, user.id)
        found[user.id] = {CLAIM: {**account, "roles": roles}}
    return found


async def caller_view(*, runtime: Runtime, principal: Principal) -> UserMe:
    """The caller's account, roles and the declared permissions they hold."""
    permissions = sorted(name for name in runtime.permissions if principal.may(name))
    said = principal.claims.get(CLAIM)
    if isinstance(said, Mapping):
        try:
            return UserMe.model_validate({**said, "permissions": permissions})
        except ValidationError:
            pass  # written by another release, perhaps: the database answers
    async with runtime.read_sessions() as session:
        user = await session.get(User, principal.id)
        if user is None or not user.is_active:
            raise AccountUnavailable()
        roles = await runtime.roles_of(session, user.id)
    account = UserPublic.model_validate(user).model_dump()
    return UserMe(**account, roles=roles, permissions=permissions)
