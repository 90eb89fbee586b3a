"""Trellis's own suite uses the test kit a module team uses: the `trellis` pytest plugin.

Its fixtures (`backend`, `settings`, `make_client`, `events`, `mail_outbox`) come from
`core.testing.plugin`, installed with Trellis; only suite-specific ones live here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from core.testing import ClientFactory

pytest_plugins = ["tests.support.secret_scan"]


@pytest.fixture
async def health_client(make_client: ClientFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(["health"]) as client:
        yield client
