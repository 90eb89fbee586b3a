"""Trellis's own suite uses the test kit a module team uses: the `trellis` pytest plugin.

Its fixtures (`backend`, `settings`, `make_client`, `events`, `mail_outbox`) come from
`core.testing.plugin`, installed with Trellis; only suite-specific ones live here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from core.testing import ClientFactory
from tests.support.redis_server import PrivateRedis

pytest_plugins = ["tests.support.secret_scan"]


@pytest.fixture
async def health_client(make_client: ClientFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(["health"]) as client:
        yield client


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A `redis-server` of the test's own, which it may stop or rewind; never the shared one."""
    folder = tmp_path / "redis"
    folder.mkdir()
    server = PrivateRedis(folder)
    server.start()
    yield server
    server.stop()
