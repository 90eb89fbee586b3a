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
    response = await client.post("/api/v1/users", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def token_for(user: Mapping[str, Any]) -> dict[str, str]:
    return fake_auth.bearer(UUID(str(user["id"])))
