"""The app every test talks to: users, auth and notes, with bcrypt at its cheapest.

The kit's fixtures come with Trellis (pytest plugins `trellis` and `trellis_auth`); `user`
and `superuser` sign in to whichever app the `client` fixture below builds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from core.testing import ClientFactory, TrellisClient


@pytest.fixture
async def client(make_client: ClientFactory) -> AsyncIterator[TrellisClient]:
    async with make_client(["users", "auth", "notes"], {"users": {"bcrypt_rounds": 4}}) as client:
        yield client
