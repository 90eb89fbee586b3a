"""The assembled app: routes only from enabled modules, request ids, problem+json, OpenAPI."""

from __future__ import annotations

import gc
import inspect
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import ModuleType

import httpx
import pytest
from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from core import ModuleInfo, Mount, hookimpl
from core.app import create_app
from core.plugins import ConfigError
from core.runtime import Runtime
from core.settings import Settings
from core.testing import ClientFactory, plugins, running


def recording_module(
    name: str, journal: list[str], *, requires: tuple[str, ...] = ()
) -> ModuleType:
    """A module with one route and a lifespan that writes to `journal`."""
    plugin = ModuleType(f"recording_{name}")
    router = APIRouter(prefix=f"/{name}", tags=[name])

    @router.get("/echo")
    async def echo(text: str) -> dict[str, str]:
        return {"text": text}

    @asynccontextmanager
    async def lifespan_cm() -> AsyncIterator[None]:
        journal.append(f"start {name}")
        yield
        journal.append(f"stop {name}")

    @hookimpl
    def module_info() -> ModuleInfo:
        return ModuleInfo(name=name, version="0.1", requires=requires)

    @hookimpl
    def register_routers() -> list[Mount]:
        return [Mount(router)]

    @hookimpl
    def lifespan(runtime: Runtime) -> object:
        return lifespan_cm()

    plugin.module_info = module_info  # type: ignore[attr-defined]
    plugin.register_routers = register_routers  # type: ignore[attr-defined]
    plugin.lifespan = lifespan  # type: ignore[attr-defined]
    return plugin


async def test_modules_start_in_dependency_order_and_stop_in_reverse(
    make_client: ClientFactory,
) -> None:
    journal: list[str] = []
    first, second = (
        recording_module("first", journal),
        recording_module("second", journal, requires=("first",)),
    )
    async with make_client(["second", "first"], extra_plugins=[first, second]) as client:
        assert (await client.get("/api/v1/second/echo", params={"text": "hi"})).json() == {
            "text": "hi"
        }
        assert journal == ["start first", "start second"]
    assert journal == ["start first", "start second", "stop second", "stop first"]


async def test_a_disabled_module_leaves_no_route(make_client: ClientFactory) -> None:
    journal: list[str] = []
    extra = [recording_module("first", journal), recording_module("second", journal)]
    async with make_client(["health", "first"], extra_plugins=extra) as client:
        assert (await client.get("/api/v1/first/echo", params={"text": "x"})).status_code == 200
        missing = await client.get("/api/v1/second/echo", params={"text": "x"})
        paths = (await client.get("/openapi.json")).json()["paths"]
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert "/api/v1/first/echo" in paths
    assert not any(path.startswith("/api/v1/second") for path in paths)
    assert journal == ["start first", "stop first"]


def test_a_misspelled_hook_stops_start_up(settings: Settings) -> None:
    plugin = ModuleType("typo")

    @hookimpl
    def module_info() -> ModuleInfo:
        return ModuleInfo(name="typo", version="0.1")

    @hookimpl
    def register_router() -> list[Mount]:
        return []

    plugin.module_info = module_info  # type: ignore[attr-defined]
    plugin.register_router = register_router  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="register_router"):
        create_app(settings, plugins=plugins(["typo"]), extra_plugins=[plugin])


async def test_every_response_carries_a_request_id(health_client: httpx.AsyncClient) -> None:
    echoed = await health_client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    replaced = await health_client.get("/health", headers={"X-Request-ID": "no spaces allowed"})
    assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["x-request-id"])
    missing = await health_client.get("/nowhere")
    assert re.fullmatch(r"[0-9a-f]{32}", missing.headers["x-request-id"])


async def test_framework_errors_are_problem_json(health_client: httpx.AsyncClient) -> None:
    not_allowed = await health_client.post("/health")
    assert not_allowed.status_code == 405
    assert not_allowed.headers["content-type"] == "application/problem+json"
    assert not_allowed.json()["status"] == 405
    assert "GET" in not_allowed.headers["allow"]


async def test_oversized_body_is_413(make_client: ClientFactory) -> None:
    async with make_client(["health"], settings_override={"max_body_bytes": 100}) as client:
        response = await client.post(
            "/health", content=b"x" * 101, headers={"content-type": "application/json"}
        )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


async def test_405_allow_names_every_method_of_the_path(make_client: ClientFactory) -> None:
    # Routers are included, not flattened: the handler asks every route, as the router does.
    plugin = recording_module("multi", [])
    router = APIRouter(prefix="/multi", tags=["multi"])

    @router.get("/items")
    async def list_items() -> list[str]:
        return []

    @router.delete("/items", status_code=204)
    async def delete_items() -> None:
        return None

    plugin.register_routers = hookimpl(lambda: [Mount(router)])  # type: ignore[attr-defined]
    async with make_client(["health", "multi"], extra_plugins=[plugin]) as client:
        response = await client.put("/api/v1/multi/items")
        health = await client.post("/health")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    # Starlette named only the first route's methods: "GET".
    assert response.headers["allow"] == "GET, DELETE"
    assert health.headers["allow"] == "GET"


async def test_openapi_has_readable_unique_operation_ids(make_client: ClientFactory) -> None:
    async with make_client(["health"]) as client:
        spec = (await client.get("/openapi.json")).json()
        docs = await client.get("/docs")
        redoc = await client.get("/redoc")
    ids = [op["operationId"] for path in spec["paths"].values() for op in path.values()]
    assert "health-live" in ids
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][a-z0-9_-]*", op_id) for op_id in ids)
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    assert redoc.status_code == 200


async def test_cors_allows_configured_origins_only(make_client: ClientFactory) -> None:
    override = {"cors_origins": ["https://app.example.com"]}
    async with make_client(["health"], settings_override=override) as client:
        allowed = await client.options(
            "/health",
            headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"},
        )
        other = await client.get("/health", headers={"Origin": "https://evil.example.com"})
    assert allowed.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "access-control-allow-origin" not in other.headers


async def test_the_app_reads_its_modules_from_plugins_toml(settings: Settings) -> None:
    plugins_file = settings.var_dir / "plugins.toml"
    plugins_file.write_text('enabled = ["health"]\n')
    app = create_app(settings.model_copy(update={"plugins_file": plugins_file}))
    async with running(app) as client:
        assert (await client.get("/health")).status_code == 200
        assert (await client.get("/api/v1/users/me")).status_code == 404


async def test_a_served_app_freezes_its_start_up_heap(settings: Settings) -> None:
    """`trellis serve`'s workers take start-up's objects out of garbage collection."""
    app = create_app(settings, plugins=plugins(["health"]), freeze_heap=True)
    frozen_before = gc.get_freeze_count()
    try:
        async with running(app) as client:
            assert gc.get_freeze_count() > frozen_before
            assert (await client.get("/health")).status_code == 200
    finally:
        gc.unfreeze()  # this test process builds many apps: let them be collected


async def test_an_app_built_for_tests_leaves_the_heap_alone(settings: Settings) -> None:
    async with running(create_app(settings, plugins=plugins(["health"]))):
        assert gc.get_freeze_count() == 0


def test_every_endpoint_and_dependency_is_async(settings: Settings) -> None:
    """A plain `def` would run in a worker thread: a hop per request on every route using it."""

    def sync_calls(dependant: Dependant) -> list[str]:
        found = []
        call = dependant.call
        if call is not None and not (
            inspect.iscoroutinefunction(call)
            or inspect.isasyncgenfunction(call)
            or (not inspect.isclass(call) and inspect.iscoroutinefunction(type(call).__call__))
        ):
            found.append(getattr(call, "__qualname__", repr(call)))
        for sub in dependant.dependencies:
            found += sync_calls(sub)
        return found

    app = create_app(settings, plugins=plugins(["health", "users", "auth"]))
    routes = [
        route
        for _, mount in app.state.host.mounts()
        for route in mount.router.routes
        if isinstance(route, APIRoute)
    ]
    offenders = {
        f"{route.path}: {name}" for route in routes for name in sync_calls(route.dependant)
    }
    assert len(routes) > 10
    assert not offenders


async def test_head_is_answered_like_get_without_a_body(health_client: httpx.AsyncClient) -> None:
    got = await health_client.get("/health")
    head = await health_client.head("/health")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == got.headers["content-length"]
    assert head.headers["x-request-id"]
    missing = await health_client.head("/nowhere")
    assert missing.status_code == 404
    assert missing.content == b""
