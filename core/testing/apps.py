"""Apps of chosen modules on either backend, and a client talking HTTP and WebSocket to them
in-process."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from core.app import create_app
from core.plugins import PluginsConfig
from core.runtime import Runtime
from core.settings import Settings
from core.testing.sockets import Socket, connect


class TrellisClient(httpx.AsyncClient):
    """An HTTP client bound to one running app; `runtime` reaches its database and cache."""

    def __init__(self, app: FastAPI, *, client_host: str = "127.0.0.1") -> None:
        transport = httpx.ASGITransport(
            app=app, raise_app_exceptions=False, client=(client_host, 50000)
        )
        super().__init__(transport=transport, base_url="http://testserver")
        self.app = app

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    def websocket(
        self, url: str, *, token: str | None = None, subprotocols: Sequence[str] = ()
    ) -> AbstractAsyncContextManager[Socket]:
        """`async with client.websocket(url, token=...) as socket:` on the same app, in-process.

        `token` is offered the way a browser does (subprotocols `trellis`, `bearer.<token>`);
        a refused handshake raises `Refused` (its status and problem+json), a close `Closed`.
        """
        offered = ("trellis", f"bearer.{token}") if token is not None else tuple(subprotocols)
        return connect(self.app, url, subprotocols=offered)


# `async with make_client(["users", "notes"], {"notes": {...}}) as client:`
ClientFactory = Callable[..., AbstractAsyncContextManager[TrellisClient]]


def plugins(
    modules: Sequence[str], settings: Mapping[str, Mapping[str, Any]] | None = None
) -> PluginsConfig:
    """A `plugins.toml` in memory."""
    return PluginsConfig(enabled=tuple(modules), settings=dict(settings or {}))


def random_prefix() -> str:
    """A cache key prefix of its own, so tests sharing one Redis never see each other's keys."""
    return f"test:{secrets.token_hex(6)}:"


@asynccontextmanager
async def running(app: FastAPI, *, client_host: str = "127.0.0.1") -> AsyncIterator[TrellisClient]:
    """Run the app's lifespan and yield an HTTP client speaking to it in-process."""
    async with (
        app.router.lifespan_context(app),
        TrellisClient(app, client_host=client_host) as client,
    ):
        yield client


@asynccontextmanager
async def client_for(
    settings: Settings,
    modules: Sequence[str],
    module_settings: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    extra_plugins: Sequence[object] = (),
) -> AsyncIterator[TrellisClient]:
    """Build an app with exactly `modules` enabled and yield a client for it."""
    app = create_app(
        settings, plugins=plugins(modules, module_settings), extra_plugins=extra_plugins
    )
    async with running(app) as client:
        yield client
