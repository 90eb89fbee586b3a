"""Fixtures of the auth tests: an app of users + auth, and a first superuser."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import ClientFactory

from .support import ADMIN_EMAIL, FAST_HASHING, MODULES, PASSWORD


@pytest.fixture
async def client(make_client: ClientFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(MODULES, FAST_HASHING) as client:
        yield client


@pytest.fixture
def with_admin(monkeypatch: pytest.MonkeyPatch) -> str:
    """The users module creates this superuser at start-up."""
    monkeypatch.setenv("FIRST_SUPERUSER_EMAIL", ADMIN_EMAIL)
    monkeypatch.setenv("FIRST_SUPERUSER_PASSWORD", PASSWORD)
    return ADMIN_EMAIL
