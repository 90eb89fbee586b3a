"""Wiring of the auth module."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from functools import partial
from pathlib import Path
from types import ModuleType
from uuid import UUID

import typer
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from core import ModuleInfo, Mount, PrincipalResolver, Runtime, Task, hookimpl
from modules.auth import hookspecs, revocations, rights, sessions
from modules.auth.account_email import service as account_email
from modules.auth.account_email.models import ActionToken
from modules.auth.account_email.router import router as account_email_router
from modules.auth.cli import build_cli
from modules.auth.config import AuthConfig
from modules.auth.models import AuthSession, RefreshToken, RevocationCounter
from modules.auth.resolver import principal_from_token
from modules.auth.router import TOKEN_URL, router
from modules.auth.tasks import auth_tasks

MODULE = ModuleInfo(
    name="auth",
    version="0.1.0",
    description="Password login, JWT access tokens, rotating refresh tokens, sessions.",
    requires=("users",),
    settings=AuthConfig,
)


@hookimpl
def module_info() -> ModuleInfo:
    return MODULE


@hookimpl
def register_hookspecs() -> ModuleType:
    return hookspecs


@hookimpl
def register_models() -> list[type[SQLModel]]:
    return [AuthSession, RefreshToken, RevocationCounter, ActionToken]


@hookimpl
def register_routers() -> list[Mount]:
    return [
        Mount(router),
        Mount(account_email_router),
    ]


@hookimpl
def register_migrations() -> Path:
    return Path(__file__).parent / "migrations"


@hookimpl
def register_tasks() -> list[Task]:
    return auth_tasks()


@hookimpl
def register_commands() -> list[typer.Typer]:
    return [build_cli()]


@hookimpl
def principal_resolver(runtime: Runtime) -> PrincipalResolver:
    return PrincipalResolver(resolve=partial(principal_from_token, runtime), token_url=TOKEN_URL)


@hookimpl
def lifespan(runtime: Runtime) -> AbstractAsyncContextManager[None]:
    return revocations.watch(runtime)


@hookimpl
async def user_created(runtime: Runtime, session: AsyncSession, user_id: UUID) -> None:
    await account_email.on_user_created(runtime=runtime, session=session, user_id=user_id)


@hookimpl
async def user_password_changed(runtime: Runtime, session: AsyncSession, user_id: UUID) -> None:
    await sessions.revoke_user_sessions(runtime=runtime, session=session, user_id=user_id)
    await account_email.on_password_changed(runtime=runtime, session=session, user_id=user_id)


@hookimpl
async def user_deleted(runtime: Runtime, session: AsyncSession, user_id: UUID) -> None:
    await sessions.revoke_user_sessions(runtime=runtime, session=session, user_id=user_id)


@hookimpl
async def user_updated(
    runtime: Runtime, session: AsyncSession, user_id: UUID, changed: frozenset[str]
) -> None:
    # Any field may be in the snapshot's claims; revokes everything when no longer active.
    await rights.on_user_updated(runtime=runtime, session=session, user_id=user_id, changed=changed)


@hookimpl
async def user_rights_changed(
    runtime: Runtime,
    session: AsyncSession,
    user_ids: frozenset[UUID],
    gained: frozenset[str],
    lost: frozenset[str],
) -> None:
    await rights.refresh_rights(
        runtime=runtime, session=session, user_ids=user_ids, gained=gained, lowered=bool(lost)
    )
