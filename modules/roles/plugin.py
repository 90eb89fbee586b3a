"""Wiring of the roles module."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from uuid import UUID

import typer
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from core import ModuleInfo, Mount, Permission, Runtime, hookimpl
from modules.roles import grants, guard, hookspecs
from modules.roles.cli import build_cli
from modules.roles.models import Grant, Role, RolePermission
from modules.roles.permissions import PERMISSIONS
from modules.roles.router import grants_router, permissions_router, roles_router

MODULE = ModuleInfo(
    name="roles",
    version="0.1.0",
    description="Roles: named sets of permissions, granted to users through the API and CLI.",
    requires=("users",),
)


@hookimpl
def module_info() -> ModuleInfo:
    return MODULE


@hookimpl
def register_hookspecs() -> ModuleType:
    return hookspecs


@hookimpl
def register_models() -> list[type[SQLModel]]:
    return [Role, RolePermission, Grant]


@hookimpl
def register_routers() -> list[Mount]:
    return [Mount(permissions_router), Mount(roles_router), Mount(grants_router)]


@hookimpl
def register_migrations() -> Path:
    return Path(__file__).parent / "migrations"


@hookimpl
def register_commands() -> list[typer.Typer]:
    return [build_cli()]


@hookimpl
def register_permissions() -> list[Permission]:
    return PERMISSIONS


@hookimpl
async def rights_of(
    runtime: Runtime, session: AsyncSession, principal_ids: frozenset[UUID]
) -> Mapping[UUID, frozenset[str]]:
    return await grants.granted_permissions(session=session, user_ids=principal_ids)


@hookimpl
async def roles_of(runtime: Runtime, session: AsyncSession, principal_id: UUID) -> list[str]:
    return await grants.role_names(session=session, user_id=principal_id)


@hookimpl
async def user_updated(
    runtime: Runtime, session: AsyncSession, user_id: UUID, changed: frozenset[str]
) -> None:
    await guard.on_user_updated(session=session, user_id=user_id, changed=changed)


@hookimpl
async def user_deleted(runtime: Runtime, session: AsyncSession, user_id: UUID) -> None:
    await guard.on_user_deleted(session=session, user_id=user_id)
