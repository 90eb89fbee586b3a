"""Request facts the auth endpoints record or key limits on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordRequestForm


@dataclass(frozen=True)
class Client:
    """Where a request came from: the peer address (as the server sees it) and user agent."""

    ip: str
    user_agent: str | None


def get_client(request: Request) -> Client:
    ip = request.client.host if request.client else "unknown"
    return Client(ip=ip, user_agent=request.headers.get("user-agent"))


ClientDep = Annotated[Client, Depends(get_client)]
PasswordForm = Annotated[OAuth2PasswordRequestForm, Depends()]
