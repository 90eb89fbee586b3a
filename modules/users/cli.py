"""`trellis users create-superuser`: by flags, or interactively with a hidden password."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from pydantic import TypeAdapter, ValidationError

from core import fail, open_runtime
from modules.users.bootstrap import ensure_superuser
from modules.users.exceptions import PasswordRejected
from modules.users.schemas import Email


def _email(value: str) -> str:
    try:
        return TypeAdapter(Email).validate_python(value)
    except ValidationError:
        raise typer.BadParameter("not a valid email address") from None


def create_superuser(
    email: Annotated[str, typer.Option(prompt=True, callback=_email)],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Create a verified superuser; exits 1 when the email is already taken."""

    async def run() -> bool:
        async with open_runtime() as runtime:
            return await ensure_superuser(runtime=runtime, email=email, password=password)

    try:
        created = asyncio.run(run())
    except PasswordRejected as error:
        fail(f"password {error.message}")
    if not created:
        fail(f"a user with the email {email} already exists")
    typer.echo(f"Created superuser {email}")


def build_cli() -> typer.Typer:
    """The `users` command group."""
    app = typer.Typer(name="users", help="Manage user accounts.", no_args_is_help=True)
    app.command("create-superuser")(create_superuser)
    return app
