"""The accounts a bench run needs: a user, the first superuser, and enough users to list."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import httpx

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
ADMIN_EMAIL = f"bench-admin-{secrets.token_hex(4)}@example.com"  # new in a reused database
ADMIN_PASSWORD = secrets.token_urlsafe(16)
# What `trellis serve` reads to create the first superuser at start-up.
ADMIN_ENV = {"FIRST_SUPERUSER_EMAIL": ADMIN_EMAIL, "FIRST_SUPERUSER_PASSWORD": ADMIN_PASSWORD}


def register(base: str, email: str, password: str) -> None:
    httpx.post(
        f"{base}/api/v1/users", json={"email": email, "password": password}, timeout=30
    ).raise_for_status()


def log_in(base: str, email: str, password: str) -> tuple[str, str]:
    """An access token, and the login form that signs the same account in again."""
    body = urlencode({"username": email, "password": password})
    login = httpx.post(f"{base}/api/v1/auth/token", content=body, headers=FORM, timeout=30)
    login.raise_for_status()
    return str(login.json()["access_token"]), body


def sign_up(base: str) -> tuple[str, str]:
    """A new bench user's access token, and their login form."""
    email, password = f"bench-{secrets.token_hex(4)}@example.com", secrets.token_urlsafe(16)
    register(base, email, password)
    return log_in(base, email, password)


def sign_up_many(base: str, count: int) -> list[str]:
    """Access tokens of `count` new users, signed up a few at a time."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return [token for token, _ in pool.map(lambda _: sign_up(base), range(count))]


def seed(base: str, count: int) -> None:
    """Register `count` users, a few at a time, so an admin list has a full page to show."""
    tag = secrets.token_hex(3)
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(
            pool.map(
                lambda n: register(base, f"seed-{tag}-{n}@example.com", "seeded password"),
                range(count),
            )
        )
