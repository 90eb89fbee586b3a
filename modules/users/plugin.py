"""Wiring of the users module."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from types import ModuleType
from uuid import UUID

import typer
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from core import ModuleInfo, Mount, Permission, Runtime, hookimpl
from modules.users import claims, hookspecs, rights
from modules.users.bootstrap import bootstrap_superuser
from modules.users.cli import build_cli
from modules.users.config import UsersConfig
from modules.users.models import User
from modules.users.router import router

MODULE = ModuleInfo(
    name="users",
    version="0.1.0",
    description="User accounts: registration, profiles, passwords and administration.",
    settings=UsersConfig,
)


@hookimpl
def module_info() -> ModuleInfo:
    return MODULE


@hookimpl
def register_hookspecs() -> ModuleType:
    return hookspecs


@hookimpl
def register_models() -> list[type[SQLModel]]:
    return [User]


@hookimpl
def register_routers() -> list[Mount]:
    return [Mount(router)]


@hookimpl
def register_permissions() -> list[Permission]:
    return rights.PERMISSIONS


@hookimpl
async def rights_of(
    runtime: Runtime, session: AsyncSession, principal_ids: frozenset[UUID]
) -> Mapping[UUID, frozenset[str]]:
    return await rights.superuser_rights(session=session, user_ids=principal_ids)


@hookimpl
async def principal_claims(
    runtime: Runtime, session: AsyncSession, principal_ids: frozenset[UUID]
) -> Mapping[UUID, Mapping[str, object]]:
    return await claims.caller_claims(runtime=runtime, session=session, user_ids=principal_ids)


@hookimpl
def register_migrations() -> Path:
    return Path(__file__).parent / "migrations"


@hookimpl
def register_commands() -> list[typer.Typer]:
    return [build_cli()]


@hookimpl
def lifespan(runtime: Runtime) -> AbstractAsyncContextManager[None]:
    return bootstrap_superuser(runtime)
