"""Helpers for the auth tests: apps of users + auth, accounts, logins, crafted tokens, keys."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from fastapi import FastAPI

from core.app import create_app
from core.runtime import Runtime
from core.settings import Settings
from core.testing import TEST_SECRET, plugins, running

MODULES = ["users", "auth"]
FAST_HASHING = {"users": {"bcrypt_rounds": 4}}
PASSWORD = "correct horse battery"
ADMIN_EMAIL = "root@example.com"
TOKEN_URL = "/api/v1/auth/token"
ME = "/api/v1/users/me"
FRONTEND = "https://app.trellis.test"  # FRONTEND_URL of the apps that mail through `sink`


def module_settings(**auth: Any) -> dict[str, dict[str, Any]]:
    return {**FAST_HASHING, "auth": auth}


@asynccontextmanager
async def app_and_client(
    settings: Settings,
    auth: Mapping[str, Any] | None = None,
    *,
    extra_modules: Sequence[str] = (),
    extra_plugins: Sequence[object] = (),
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """Like `make_client`, but the test also reaches the app (its cache, its mailer)."""
    config = plugins([*MODULES, *extra_modules], module_settings(**(auth or {})))
    app = create_app(settings, plugins=config, extra_plugins=extra_plugins)
    async with running(app) as client:
        yield app, client


def runtime_of(app: FastAPI) -> Runtime:
    runtime: Runtime = app.state.runtime
    return runtime


async def register(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    """Create an account; returns its id."""
    response = await client.post("/api/v1/users", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def login(
    client: httpx.AsyncClient,
    email: str,
    password: str = PASSWORD,
    *,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    form = {"username": email, "password": password}
    return await client.post(TOKEN_URL, data=form, headers=dict(headers or {}))


async def tokens(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, *, user_agent: str = "test"
) -> dict[str, Any]:
    """Log in (the account must exist) and return the token response."""
    response = await login(client, email, password, headers={"User-Agent": user_agent})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def signed_up(client: httpx.AsyncClient, email: str) -> dict[str, Any]:
    await register(client, email)
    return await tokens(client, email)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def deactivate(client: httpx.AsyncClient, user_id: str, *, admin_email: str) -> None:
    """Switch the account off as the administrator would, through the users API."""
    admin = await tokens(client, admin_email)
    response = await client.patch(
        f"/api/v1/users/{user_id}",
        json={"is_active": False},
        headers=bearer(admin["access_token"]),
    )
    assert response.status_code == 200, response.text


async def me_status(client: httpx.AsyncClient, token: str) -> int:
    return (await client.get(ME, headers=bearer(token))).status_code


async def refresh(client: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def resign(
    token: str,
    *,
    key: Any = TEST_SECRET,
    algorithm: str = "HS256",
    drop: tuple[str, ...] = (),
    **changes: Any,
) -> str:
    """The claims of a real token, changed, signed again (by default with the test secret)."""
    claims = {**claims_of(token), **changes}
    for name in drop:
        claims.pop(name, None)
    return jwt.encode(claims, key, algorithm=algorithm)


def unsigned(header: Mapping[str, Any], claims: Mapping[str, Any], signature: bytes = b"") -> str:
    """A JWS assembled by hand, for what PyJWT refuses to produce (`alg: none`, confusion)."""
    parts = [json.dumps(header).encode(), json.dumps(claims).encode(), signature]
    return ".".join(base64.urlsafe_b64encode(part).rstrip(b"=").decode() for part in parts)


def now() -> int:
    return int(time.time())


def write_rsa_pair(folder: Path, name: str = "rsa", bits: int = 2048) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return _write_pair(folder, name, key)


def write_ed25519_pair(folder: Path, name: str = "ed") -> tuple[Path, Path]:
    return _write_pair(folder, name, ed25519.Ed25519PrivateKey.generate())


def _write_pair(folder: Path, name: str, key: Any) -> tuple[Path, Path]:
    private = folder / f"{name}.pem"
    public = folder / f"{name}.pub.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public
