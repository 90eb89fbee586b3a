"""Mount the enabled modules' routers, refusing any route or operation id two owners share."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute

from core.deps import api_rate_limit
from core.host import CORE, DuplicateContribution, Host
from core.records import API_PREFIX, Mount
from core.routes import OwnedRoute, first_clash, served_routes


def operation_id(route: APIRoute) -> str:
    """`users-read_me` rather than FastAPI's path-derived ids: readable in generated clients."""
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def mount_modules(app: FastAPI, host: Host) -> None:
    """Include every module's routers after the core's own routes (docs, OpenAPI)."""
    owned = list(served_routes(CORE, app.routes))
    mounts = host.mounts()
    for module, mount in mounts:
        owned += served_routes(module, mount.router.routes, mount.prefix)
    _refuse_shared_routes(host, owned)
    _refuse_shared_operation_ids(host, mounts)
    limited = [Depends(api_rate_limit)]
    for _module, mount in mounts:
        under_api = mount.prefix.startswith(API_PREFIX)
        app.include_router(
            mount.router, prefix=mount.prefix, dependencies=limited if under_api else None
        )


def _refuse_shared_routes(host: Host, owned: list[OwnedRoute]) -> None:
    clash = first_clash(owned)
    if clash is None:
        return
    first, second, method = clash
    raise DuplicateContribution(
        f"the route {method} {second.path} of {host.label(second.owner)} clashes with "
        f"{method} {first.path} of {host.label(first.owner)}: one request would match both"
    )


def _refuse_shared_operation_ids(host: Host, mounts: list[tuple[str, Mount]]) -> None:
    """Generated clients name methods by operation id: two alike break them."""
    host.refuse_clashes(
        "operation id",
        [
            (module, route.operation_id or operation_id(route))
            for module, mount in mounts
            for route in mount.router.routes
            if isinstance(route, APIRoute) and route.include_in_schema
        ],
    )
