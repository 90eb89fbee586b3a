"""Apps of the users module with a fake auth module, a bootstrap admin, and direct DB access."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest

from core.host import Host
from core.runtime import Runtime
from core.settings import Settings
from core.testing import ClientFactory, plugins

from . import fake_auth
from .helpers import ADMIN_EMAIL, ADMIN_PASSWORD, FAST

UsersClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def users_client(make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch) -> UsersClient:
    """`async with users_client() as client:` users + fake auth; `admin=True` bootstraps root."""

    def factory(
        config: Mapping[str, Any] | None = None,
        *,
        admin: bool = True,
        recorder: Any = None,
    ) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        if admin:
            monkeypatch.setenv("FIRST_SUPERUSER_EMAIL", ADMIN_EMAIL)
            monkeypatch.setenv("FIRST_SUPERUSER_PASSWORD", ADMIN_PASSWORD)
        else:
            monkeypatch.delenv("FIRST_SUPERUSER_EMAIL", raising=False)
            monkeypatch.delenv("FIRST_SUPERUSER_PASSWORD", raising=False)
        extra: Sequence[Any] = [fake_auth, recorder] if recorder else [fake_auth]
        names = ["users", fake_auth.NAME, *([recorder.name] if recorder else [])]
        return make_client(
            names,
            {"users": {**FAST, **(config or {})}},
            settings_override={"rate_limit_disabled": True},
            extra_plugins=extra,
        )

    return factory


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """A second Runtime on the test's database, to call services and read rows directly."""
    host = Host.load(settings.plugins_file, config=plugins(["users"], {"users": FAST}))
    built = host.runtime(settings)
    yield built
    await built.close()
