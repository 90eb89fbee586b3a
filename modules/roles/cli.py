"""`trellis roles ...`: permissions, roles and grants from the command line.

What an operator needs before anyone may manage roles through the API (`grant admin EMAIL`),
and to script them. Changes go through the same services as the API: holders' tokens follow
at once, and the last manager is kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from core import ProblemError, Runtime, fail, open_runtime
from modules.roles import grants, service
from modules.roles.exceptions import RoleNotFound, UnknownPermission
from modules.roles.models import Role
from modules.roles.schemas import RoleCreate
from modules.users import UserAccount, get_user_by_email

T = TypeVar("T")
Work = Callable[[Runtime, AsyncSession], Awaitable[T]]


def _run(work: Work[T]) -> T:
    """Run `work` in one transaction; a refusal (unknown role, last manager...) exits 1."""

    async def run() -> T:
        async with open_runtime() as runtime, runtime.transaction() as session:
            return await work(runtime, session)

    try:
        return asyncio.run(run())
    except UnknownPermission as error:
        fail(f"no enabled module declares {', '.join(map(repr, error.unknown))}")
    except ProblemError as error:
        fail(error.detail)


async def _role(session: AsyncSession, name: str) -> Role:
    try:
        return await service.load_role(session=session, name=name)
    except RoleNotFound:
        fail(f"no role is called {name!r}")


async def _user(session: AsyncSession, email: str) -> UserAccount:
    user = await get_user_by_email(session=session, email=email)
    if user is None:
        fail(f"no user has the email {email}")
    return user


def list_permissions() -> None:
    """Every permission the enabled modules declare."""

    async def work(runtime: Runtime, _session: AsyncSession) -> None:
        for permission in runtime.permissions.values():
            typer.echo(f"{permission.name}\t{permission.description}")

    _run(work)


def list_roles() -> None:
    """Every role with its permissions."""

    async def work(runtime: Runtime, session: AsyncSession) -> None:
        roles, _ = await service.list_roles(session=session, limit=10_000, offset=0)
        for role in await service.describe(runtime=runtime, session=session, roles=roles):
            typer.echo(f"{role.name}\t{', '.join(role.permissions)}\t{role.description}")

    _run(work)


def create(
    name: str,
    permission: Annotated[list[str] | None, typer.Option(help="Repeat for each.")] = None,
    description: str = "",
) -> None:
    """Create a role holding the given permissions."""
    try:
        data = RoleCreate(name=name, description=description, permissions=permission or [])
    except ValidationError as error:
        problem = error.errors(include_input=False, include_url=False)[0]
        fail(f"{problem['loc'][0]}: {problem['msg']}")

    async def work(runtime: Runtime, session: AsyncSession) -> None:
        await service.create_role(runtime=runtime, session=session, data=data)

    _run(work)
    held = ", ".join(sorted(set(data.permissions))) or "no permissions"
    typer.echo(f"Created role {name}: {held}")


def delete(name: str) -> None:
    """Delete a role, taking it back from everyone holding it."""

    async def work(runtime: Runtime, session: AsyncSession) -> None:
        role = await _role(session, name)
        await service.delete_role(runtime=runtime, session=session, role=role)

    _run(work)
    typer.echo(f"Deleted role {name}")


def grant(name: str, email: str) -> None:
    """Grant a role to the user with this e-mail address."""

    async def work(runtime: Runtime, session: AsyncSession) -> bool:
        role, user = await _role(session, name), await _user(session, email)
        return await grants.grant_role(runtime=runtime, session=session, user_id=user.id, role=role)

    done = _run(work)
    typer.echo(f"Granted {name} to {email}" if done else f"{email} already holds {name}")


def revoke(name: str, email: str) -> None:
    """Take a role back from the user with this e-mail address."""

    async def work(runtime: Runtime, session: AsyncSession) -> bool:
        role, user = await _role(session, name), await _user(session, email)
        return await grants.revoke_role(
            runtime=runtime, session=session, user_id=user.id, role=role
        )

    done = _run(work)
    typer.echo(f"Took {name} back from {email}" if done else f"{email} does not hold {name}")


def build_cli() -> typer.Typer:
    """The `roles` command group."""
    app = typer.Typer(name="roles", help="Manage roles and who holds them.", no_args_is_help=True)
    app.command("permissions")(list_permissions)
    app.command("list")(list_roles)
    app.command("create")(create)
    app.command("delete")(delete)
    app.command("grant")(grant)
    app.command("revoke")(revoke)
    return app
