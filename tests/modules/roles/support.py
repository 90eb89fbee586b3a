"""Helpers of the roles tests: an app of users + auth + roles, role and grant calls."""

from __future__ import annotations

from typing import Any

import httpx

from core.testing import TrellisClient
from modules.auth.testing import Account
from modules.roles import grants, service

MODULES = ["users", "auth", "roles"]
FAST_HASHING: dict[str, dict[str, Any]] = {"users": {"bcrypt_rounds": 4}}
PERMISSIONS = "/api/v1/permissions"
ROLES = "/api/v1/roles"
USERS = "/api/v1/users"
ME = f"{USERS}/me"


def grant_url(account: Account, role: str) -> str:
    return f"{USERS}/{account.id}/roles/{role}"


async def grant(client: httpx.AsyncClient, by: Account, to: Account, role: str) -> None:
    response = await client.put(grant_url(to, role), headers=by.headers)
    assert response.status_code == 204, response.text


async def revoke(client: httpx.AsyncClient, by: Account, to: Account, role: str) -> None:
    response = await client.delete(grant_url(to, role), headers=by.headers)
    assert response.status_code == 204, response.text


async def create_role(
    client: httpx.AsyncClient, by: Account, name: str, *permissions: str
) -> dict[str, Any]:
    body = {"name": name, "description": f"The {name}s.", "permissions": list(permissions)}
    response = await client.post(ROLES, json=body, headers=by.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def assert_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status


async def grant_directly(client: TrellisClient, to: Account, role: str) -> None:
    """Grant `role` without an API caller, as `trellis roles grant` does for the first one."""
    runtime = client.runtime
    async with runtime.transaction() as session:
        found = await service.load_role(session=session, name=role)
        await grants.grant_role(runtime=runtime, session=session, user_id=to.id, role=found)
