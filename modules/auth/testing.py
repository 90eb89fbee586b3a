"""Signed-in accounts for a module's tests: the `trellis_auth` pytest plugin.

Installed with Trellis (entry point `pytest11: trellis_auth`) next to the core's `trellis`
plugin. Define a fixture `client` of an app that enables users and auth, then ask for
`user` or `superuser`; each is a fresh account, signed in over HTTP::

    @pytest.fixture
    async def client(make_client):
        async with make_client(["users", "auth", "notes"], {"users": {"bcrypt_rounds": 4}}) as c:
            yield c

    async def test_my_notes(client, user):
        response = await client.get("/api/v1/notes", headers=user.headers)

Pass `{"users": {"bcrypt_rounds": 4}}`: at the default cost (12) every sign-up and sign-in
spends a quarter of a second in bcrypt.

Modules import the core only from `core`; this file is the exception that may import
`core.testing`, which is test-only machinery no running app loads.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from uuid import UUID

import httpx
import pytest

from core.testing import TrellisClient
from modules.users import create_user

USERS_URL = "/api/v1/users"
TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 (a URL, not a secret)
PASSWORD = "correct horse battery staple"  # noqa: S105 (meets the default password policy)


@dataclass(frozen=True)
class Account:
    """An account and the access token of one of its sessions."""

    id: UUID
    email: str
    password: str
    access_token: str

    @property
    def headers(self) -> dict[str, str]:
        """`Authorization: Bearer <token>`, for `client.get(url, headers=account.headers)`."""
        return {"Authorization": f"Bearer {self.access_token}"}


def new_email() -> str:
    """An address no other account of the test has."""
    return f"user-{secrets.token_hex(4)}@example.com"


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    """The access token of a new session of an existing account (the OAuth2 password grant)."""
    response = await client.post(TOKEN_URL, data={"username": email, "password": password})
    assert response.status_code == 200, f"sign-in of {email} failed: {response.text}"
    token: str = response.json()["access_token"]
    return token


async def sign_up(
    client: httpx.AsyncClient, email: str | None = None, password: str = PASSWORD
) -> Account:
    """Register an account through `POST /api/v1/users`, then sign it in."""
    email = email or new_email()
    response = await client.post(USERS_URL, json={"email": email, "password": password})
    assert response.status_code == 201, f"sign-up of {email} failed: {response.text}"
    created = response.json()
    token = await sign_in(client, created["email"], password)
    return Account(UUID(created["id"]), created["email"], password, token)


async def create_superuser(
    client: TrellisClient, email: str | None = None, password: str = PASSWORD
) -> Account:
    """A verified superuser, created through the users module as `trellis users` does."""
    email = email or new_email()
    runtime = client.runtime
    async with runtime.transaction() as session:
        created = await create_user(
            runtime=runtime,
            session=session,
            email=email,
            password=password,
            is_superuser=True,
            is_verified=True,
        )
        user_id, stored_email = created.id, created.email
    token = await sign_in(client, stored_email, password)
    return Account(user_id, stored_email, password, token)


@pytest.fixture
async def user(client: httpx.AsyncClient) -> Account:
    """A newly registered account, signed in; `user.headers` authenticates a request."""
    return await sign_up(client)


@pytest.fixture
async def superuser(client: TrellisClient) -> Account:
    """A newly created superuser, signed in: its principal holds every right."""
    return await create_superuser(client)
