"""Fixtures of the auth tests: an app of users + auth, a first superuser, a mail server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from core.testing import ClientFactory
from core.testing.outbox import SmtpSink

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
def sink(mail_outbox: SmtpSink, monkeypatch: pytest.MonkeyPatch) -> SmtpSink:
    """The kit's mail server; links in mails point at the test frontend."""
    monkeypatch.setenv("FRONTEND_URL", FRONTEND)
    return mail_outbox
