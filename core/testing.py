"""The test kit: build an app from any set of modules on either backend, and talk HTTP to it.

Used by Trellis's own suite and by teams testing their modules.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from core.app import create_app
from core.plugins import PluginsConfig
from core.settings import Settings


def plugins(
    modules: Sequence[str], settings: Mapping[str, Mapping[str, Any]] | None = None
) -> PluginsConfig:
    """A `plugins.toml` in memory."""
    return PluginsConfig(enabled=tuple(modules), settings=dict(settings or {}))


def random_prefix() -> str:
    """A cache key prefix of its own, so tests sharing one Redis never see each other's keys."""
    return f"test:{secrets.token_hex(6)}:"


@asynccontextmanager
async def running(
    app: FastAPI, *, client_host: str = "127.0.0.1"
) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan and yield an HTTP client speaking to it in-process."""
    transport = httpx.ASGITransport(
        app=app, raise_app_exceptions=False, client=(client_host, 50000)
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        yield client


@asynccontextmanager
async def client_for(
    settings: Settings,
    modules: Sequence[str],
    module_settings: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    extra_plugins: Sequence[object] = (),
) -> AsyncIterator[httpx.AsyncClient]:
    """Build an app with exactly `modules` enabled and yield a client for it."""
    app = create_app(
        settings, plugins=plugins(modules, module_settings), extra_plugins=extra_plugins
    )
    async with running(app) as client:
        yield client
