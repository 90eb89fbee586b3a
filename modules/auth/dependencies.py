"""Request facts the auth endpoints record or key limits on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.security import OAuth2PasswordRequestForm


@dataclass(frozen=True)
class Client:
    """Where a request came from: the peer address (as the server sees it) and user agent."""

    ip: str
    user_agent: str | None


async def get_client(request: Request) -> Client:
    ip = request.client.host if request.client else "unknown"
    return Client(ip=ip, user_agent=request.headers.get("user-agent"))


ClientDep = Annotated[Client, Depends(get_client)]


async def password_form(
    username: Annotated[str, Form(description="The account's e-mail address.")],
    password: Annotated[str, Form(json_schema_extra={"format": "password"})],
) -> OAuth2PasswordRequestForm:
    """The OAuth2 password form, parsed without the worker-thread hop of a class dependency."""
    return OAuth2PasswordRequestForm(username=username, password=password)


PasswordForm = Annotated[OAuth2PasswordRequestForm, Depends(password_form)]
