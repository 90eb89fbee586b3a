"""The app factory: assembles the enabled modules into one FastAPI application."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from importlib.metadata import version
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from core.checks import core_checks
from core.constraints import describe_constraints
from core.errors import install_error_handlers
from core.heap import freeze_startup_heap
from core.host import Host
from core.inventory import describe_modules
from core.logs import configure_logging, json_logs, package_logger
from core.middleware import install_middleware
from core.migrate import prepare_schema
from core.mounting import mount_modules, operation_id
from core.openapi import document_problems
from core.operations import install_operations, serving
from core.permissions import refuse_undeclared_rights
from core.plugins import PluginsConfig
from core.ratelimit import Rate
from core.realtime.openapi import describe_websockets
from core.references import warn_dangling_references
from core.runtime import Runtime
from core.settings import Settings
from core.shutdown import Shutdown
from core.tasks.service import background_tasks

log = logging.getLogger("trellis")
VERSION = version("trellis")  # one source of truth: pyproject.toml


def create_app(
    settings: Settings | None = None,
    *,
    plugins: PluginsConfig | None = None,
    extra_plugins: Iterable[object] = (),
    freeze_heap: bool = False,
) -> FastAPI:
    """Build the app from `plugins.toml` (or `plugins`); raises ConfigError on a bad setup.

    `freeze_heap`: once started, take start-up's objects out of garbage collection
    (`core.heap`); for a process that serves this one app until it exits.
    """
    settings = settings or Settings()
    as_json = json_logs(settings)
    configure_logging(settings.log_level, json=as_json)  # before loading: discovery may warn
    host = Host.load(settings.plugins_file, config=plugins, extra_plugins=extra_plugins)
    module_loggers = [package_logger(m.plugin) for m in host.enabled]
    configure_logging(settings.log_level, module_loggers=module_loggers, json=as_json)
    runtime = host.runtime(settings)
    shutdown = Shutdown(drain=settings.shutdown_drain)
    app = FastAPI(
        title="Trellis",
        version=VERSION,
        lifespan=_lifespan(runtime, host, shutdown, freeze_heap=freeze_heap),
        generate_unique_id_function=operation_id,
        docs_url="/docs",
        redoc_url="/redoc",
        openapi_url="/openapi.json",
        swagger_ui_parameters={"persistAuthorization": True},
    )
    app.state.runtime = runtime
    app.state.host = host
    app.state.principal_resolver = host.principal_resolver(runtime)
    checks = (*core_checks(runtime, host), shutdown.check())
    app.state.readiness_checks = host.health_checks(runtime, core=checks)
    host.table_names()  # refuses a table two modules claim
    app.state.api_rate = Rate.parse(settings.api_rate_limit)
    if settings.rate_limit_disabled:
        log.warning("rate limits are disabled (TRELLIS_RATE_LIMIT_DISABLED is set)")
    install_error_handlers(app)
    install_middleware(
        app,
        max_body_bytes=settings.max_body_bytes,
        cors_origins=settings.cors_origins,
        body_timeout=settings.body_read_timeout,
        max_in_flight=settings.max_in_flight,
        in_flight_wait=settings.in_flight_wait,
        shed_exempt=settings.shed_exempt_paths,
    )
    install_operations(app, runtime)
    mount_modules(app, host)
    refuse_undeclared_rights(host, runtime.permissions)  # a typo would deny everyone
    app.state.module_reports = describe_modules(host)  # what `ModuleInventory` adds state to
    app.openapi = _openapi_builder(app)  # type: ignore[method-assign]
    return app


def create_served_app() -> FastAPI:
    """The app as `trellis serve` hands it to uvicorn: each worker's own, for its lifetime."""
    return create_app(freeze_heap=True)


def _lifespan(
    runtime: Runtime, host: Host, shutdown: Shutdown, *, freeze_heap: bool
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            stack.push_async_callback(runtime.close)
            await prepare_schema(runtime, host)
            warn_dangling_references(host)
            stack.enter_context(serving(runtime, shutdown))
            # Entered in dependency order; AsyncExitStack leaves them in reverse.
            for module_lifespan in host.lifespans(runtime):
                await stack.enter_async_context(module_lifespan)
            # Last in, first out: tasks stop before the modules and the pools they use.
            await stack.enter_async_context(background_tasks(runtime))
            # Here, not in create_app: `trellis serve` builds the app once to check it first.
            log.info("modules enabled: %s", ", ".join(host.names))
            if freeze_heap:
                freeze_startup_heap()
            yield

    return lifespan


def _openapi_builder(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """Document errors as problem+json and this app's configured limits; point the OAuth2
    password flow at the token URL."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = document_problems(
            get_openapi(title=app.title, version=app.version, routes=app.routes),
            routes=app.routes,
        )
        describe_constraints(schema, app.state.runtime.module_settings)
        describe_websockets(schema, app.routes)
        resolver = app.state.principal_resolver
        schemes = schema.get("components", {}).get("securitySchemes", {})
        if resolver is not None and "OAuth2" in schemes:
            schemes["OAuth2"]["flows"]["password"]["tokenUrl"] = resolver.token_url
        app.openapi_schema = schema
        return schema

    return openapi
