"""Helpers shared by the users tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

import httpx

from core.runtime import Runtime
from modules.users import get_user_by_email

from . import fake_auth

ADMIN_EMAIL = "root@example.com"
ADMIN_PASSWORD = "root-password-1"
PASSWORD = "correct horse battery"
FAST: dict[str, Any] = {"bcrypt_rounds": 4}
USERS = "/api/v1/users"


async def admin_headers(runtime: Runtime) -> dict[str, str]:
    async with runtime.sessions() as session:
        admin = await get_user_by_email(session=session, email=ADMIN_EMAIL)
    assert admin is not None
    assert admin.is_superuser
    return fake_auth.bearer(admin.id)


async def register(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, **extra: Any
) -> dict[str, Any]:
    body = {"email": email, "password": password, **extra}
    response = await client.post(USERS, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def token_for(user: Mapping[str, Any]) -> dict[str, str]:
    return fake_auth.bearer(UUID(str(user["id"])))


async def promote(
    client: httpx.AsyncClient, admin: Mapping[str, str], email: str
) -> dict[str, Any]:
    """Register `email` and make it a superuser, as the administrator `admin`."""
    user = await register(client, email)
    response = await client.patch(
        f"{USERS}/{user['id']}", headers=admin, json={"is_superuser": True}
    )
    assert response.status_code == 200, response.text
    return user


def as_me(user: Mapping[str, Any]) -> dict[str, Any]:
    """`user` as `GET /users/me` shows it to themself: with what they hold (nothing here)."""
    return {**user, "roles": [], "permissions": []}
