"""Fixtures of the auth tests: an app of users + auth, a first superuser, a mail server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.conftest import ClientFactory
from tests.smtp_sink import SmtpSink

from .support import ADMIN_EMAIL, FAST_HASHING, FRONTEND, MODULES, PASSWORD


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


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpSink]:
    """A mail server, and the environment pointing the app at it (read when the app is built)."""
    server = SmtpSink().start()
    for name, value in {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(server.port),
        "SMTP_TLS": "false",
        "SMTP_SSL": "false",
        "EMAILS_FROM_EMAIL": "noreply@trellis.test",
        "FRONTEND_URL": FRONTEND,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SMTP_USER", raising=False)
    yield server
    server.stop()
