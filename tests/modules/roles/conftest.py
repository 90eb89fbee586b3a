"""The app the roles tests talk to: users, auth and roles, with bcrypt at its cheapest."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from core.testing import ClientFactory, TrellisClient

from .support import FAST_HASHING, MODULES


@pytest.fixture
async def client(make_client: ClientFactory) -> AsyncIterator[TrellisClient]:
    async with make_client(MODULES, FAST_HASHING) as client:
        yield client
