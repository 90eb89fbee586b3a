"""Permissions, roles, and granting roles to users: all for holders of `roles:manage`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from core import RuntimeDep, SessionDep
from modules.roles import grants, service
from modules.roles.dependencies import RoleManager, TargetRole, TargetUser
from modules.roles.schemas import (
    PermissionPublic,
    PermissionsPublic,
    RoleCreate,
    RolePublic,
    RolesPublic,
    RoleUpdate,
)

permissions_router = APIRouter(prefix="/permissions", tags=["roles"])
roles_router = APIRouter(prefix="/roles", tags=["roles"])
# Under /users, next to the users module's routes: /users/{user_id}/roles/{name} is longer
# than any of them, so no request matches both (start-up would refuse it otherwise).
grants_router = APIRouter(prefix="/users", tags=["roles"])

# Documented for generated clients; every error body is problem+json.
_MANAGER: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not authenticated"},
    403: {"description": "Needs the permission roles:manage"},
}
_ROLE = {**_MANAGER, 404: {"description": "No role has this name"}}
_LAST: dict[int | str, dict[str, Any]] = {
    409: {"description": "Would leave nobody who may manage roles (or a concurrent change)"}
}


@permissions_router.get("", responses=_MANAGER)
async def list_permissions(_manager: RoleManager, runtime: RuntimeDep) -> PermissionsPublic:
    """Every permission the enabled modules declare, with its module and description."""
    items = [
        PermissionPublic(name=p.name, module=p.module, description=p.description)
        for p in runtime.permissions.values()
    ]
    return PermissionsPublic(items=items)


@roles_router.get("", responses=_MANAGER)
async def list_roles(
    _manager: RoleManager,
    runtime: RuntimeDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> RolesPublic:
    """A page of roles, by name."""
    roles, total = await service.list_roles(session=session, limit=limit, offset=offset)
    items = await service.describe(runtime=runtime, session=session, roles=roles)
    return RolesPublic(items=items, total=total, limit=limit, offset=offset)


@roles_router.post(
    "", status_code=201, responses={**_MANAGER, 409: {"description": "The name is taken"}}
)
async def create_role(
    body: RoleCreate, _manager: RoleManager, runtime: RuntimeDep, session: SessionDep
) -> RolePublic:
    """Create a role; 422 for a permission no enabled module declares."""
    role = await service.create_role(runtime=runtime, session=session, data=body)
    [created] = await service.describe(runtime=runtime, session=session, roles=[role])
    return created


@roles_router.get("/{name}", responses=_ROLE)
async def read_role(role: TargetRole, runtime: RuntimeDep, session: SessionDep) -> RolePublic:
    """One role and its permissions."""
    [found] = await service.describe(runtime=runtime, session=session, roles=[role])
    return found


@roles_router.patch("/{name}", responses={**_ROLE, **_LAST})
async def update_role(
    body: RoleUpdate, role: TargetRole, runtime: RuntimeDep, session: SessionDep
) -> RolePublic:
    """Change the description or replace the permissions; holders' tokens follow at once."""
    changes = body.model_dump(exclude_unset=True)
    updated = await service.update_role(
        runtime=runtime, session=session, role=role, changes=changes
    )
    [found] = await service.describe(runtime=runtime, session=session, roles=[updated])
    return found


@roles_router.delete("/{name}", status_code=204, responses={**_ROLE, **_LAST})
async def delete_role(role: TargetRole, runtime: RuntimeDep, session: SessionDep) -> None:
    """Delete a role, taking it back from everyone holding it."""
    await service.delete_role(runtime=runtime, session=session, role=role)


_GRANT = {**_ROLE, 404: {"description": "No such user, or no role has this name"}}


@grants_router.put("/{user_id}/roles/{name}", status_code=204, responses=_GRANT)
async def grant_role(
    user_id: TargetUser, role: TargetRole, runtime: RuntimeDep, session: SessionDep
) -> None:
    """Grant the role to the user (a no-op when they hold it); effective at their next request."""
    await grants.grant_role(runtime=runtime, session=session, user_id=user_id, role=role)


@grants_router.delete("/{user_id}/roles/{name}", status_code=204, responses={**_GRANT, **_LAST})
async def revoke_role(
    user_id: TargetUser, role: TargetRole, runtime: RuntimeDep, session: SessionDep
) -> None:
    """Take the role back from the user (a no-op when they do not hold it)."""
    await grants.revoke_role(runtime=runtime, session=session, user_id=user_id, role=role)
