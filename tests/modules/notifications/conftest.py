"""The app the notifications tests talk to: users, auth and notifications, cheap bcrypt."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from core.testing import ClientFactory, TrellisClient

MODULES = ["users", "auth", "notifications"]
FAST_HASHING = {"users": {"bcrypt_rounds": 4}}


@pytest.fixture
async def client(make_client: ClientFactory) -> AsyncIterator[TrellisClient]:
    async with make_client(MODULES, FAST_HASHING) as client:
        yield client
