"""Registration, self-service under /users/me, and administration of any user."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from core import CurrentPrincipal, RuntimeDep, SessionDep
from modules.users import accounts, service
from modules.users.claims import caller_view
from modules.users.dependencies import (
    CurrentAdmin,
    CurrentUser,
    TargetUser,
    UsersConfigDep,
    refuse_superuser_changes,
)
from modules.users.schemas import (
    PasswordChange,
    UserCreate,
    UserMe,
    UserPublic,
    UserSearch,
    UsersPublic,
    UserUpdate,
    UserUpdateMe,
)

router = APIRouter(prefix="/users", tags=["users"])

# Documented for generated clients; every error body is problem+json.
_AUTH: dict[int | str, dict[str, Any]] = {401: {"description": "Not authenticated"}}
_ADMIN: dict[int | str, dict[str, Any]] = {
    **_AUTH,
    403: {"description": "Needs the permission users:admin"},
    404: {"description": "No such user"},
}
_LAST: dict[int | str, dict[str, Any]] = {
    409: {"description": "Would remove the last active superuser"}
}
# Changing a superuser's account, or anyone's superuser flag, also needs a superuser.
_CHANGE: dict[int | str, dict[str, Any]] = {
    **_ADMIN,
    403: {"description": "Needs users:admin, and a superuser for a superuser's account or flag"},
}


@router.post(
    "",
    status_code=201,
    responses={403: {"description": "Registration is closed"}, 409: {"description": "Taken"}},
)
async def register(body: UserCreate, runtime: RuntimeDep, session: SessionDep) -> UserPublic:
    """Create an account (403 when registration is switched off, 409 when the email is taken)."""
    user = await service.register(runtime=runtime, session=session, data=body)
    return UserPublic.model_validate(user)


@router.get("/me", responses=_AUTH)
async def read_me(principal: CurrentPrincipal, runtime: RuntimeDep) -> UserMe:
    """The caller's own account, with the roles and permissions they hold."""
    return await caller_view(runtime=runtime, principal=principal)


@router.patch("/me", responses={**_AUTH, 409: {"description": "Email taken"}})
async def update_me(
    body: UserUpdateMe, user: CurrentUser, runtime: RuntimeDep, session: SessionDep
) -> UserPublic:
    """Change one's own email or name; any other field is a 422."""
    changes = body.model_dump(exclude_unset=True)
    updated = await accounts.update_user(
        runtime=runtime, session=session, user=user, changes=changes
    )
    return UserPublic.model_validate(updated)


@router.post(
    "/me/password",
    status_code=204,
    responses={**_AUTH, 400: {"description": "Wrong current password"}},
)
async def change_my_password(
    body: PasswordChange, user: CurrentUser, runtime: RuntimeDep, session: SessionDep
) -> None:
    """Change one's own password; 400 when the current one is wrong."""
    await accounts.change_password(
        runtime=runtime,
        session=session,
        user=user,
        current_password=body.current_password,
        new_password=body.new_password,
    )


@router.delete("/me", status_code=204, responses={**_AUTH, **_LAST})
async def delete_me(user: CurrentUser, runtime: RuntimeDep, session: SessionDep) -> None:
    """Delete one's own account (409 for the last active superuser)."""
    await accounts.delete_user(runtime=runtime, session=session, user=user)


@router.get("", responses={**_AUTH, 403: _ADMIN[403]})
async def list_users(
    _admin: CurrentAdmin,
    session: SessionDep,
    config: UsersConfigDep,
    limit: Annotated[int, Query(ge=1, description="Capped at the configured maximum.")] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    email: Annotated[UserSearch | None, Query(description="Contains, any case.")] = None,
    is_active: bool | None = None,
) -> UsersPublic:
    """A page of users, filtered by email substring and active flag (administrators)."""
    limit = min(limit, config.list_max_limit)
    users, total = await accounts.list_users(
        session=session,
        limit=limit,
        offset=offset,
        email=email,
        is_active=is_active,
    )
    return UsersPublic(items=users, total=total, limit=limit, offset=offset)


@router.get("/{user_id}", responses=_ADMIN)
async def read_user(user: TargetUser) -> UserPublic:
    """Any user by id (administrators)."""
    return UserPublic.model_validate(user)


@router.patch(
    "/{user_id}", responses={**_CHANGE, 409: {"description": "Email taken, or last superuser"}}
)
async def update_user(
    body: UserUpdate,
    user: TargetUser,
    admin: CurrentAdmin,
    runtime: RuntimeDep,
    session: SessionDep,
) -> UserPublic:
    """Change any user, including is_active, is_superuser and is_verified (administrators)."""
    changes = body.model_dump(exclude_unset=True)
    refuse_superuser_changes(admin, user, changes)
    updated = await accounts.update_user(
        runtime=runtime, session=session, user=user, changes=changes
    )
    return UserPublic.model_validate(updated)


@router.delete("/{user_id}", status_code=204, responses={**_CHANGE, **_LAST})
async def delete_user(
    user: TargetUser, admin: CurrentAdmin, runtime: RuntimeDep, session: SessionDep
) -> None:
    """Delete any user (administrators; 409 for the last active superuser)."""
    refuse_superuser_changes(admin, user, {})
    await accounts.delete_user(runtime=runtime, session=session, user=user)
