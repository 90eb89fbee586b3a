"""Wiring of the system module."""

from __future__ import annotations

from core import ModuleInfo, Mount, Permission, hookimpl
from modules.system.router import INSPECT, router

MODULE = ModuleInfo(
    name="system",
    version="0.1.0",
    description="What runs: GET /api/v1/modules lists the enabled modules (system:inspect).",
)


@hookimpl
def module_info() -> ModuleInfo:
    return MODULE


@hookimpl
def register_routers() -> list[Mount]:
    return [Mount(router)]


@hookimpl
def register_permissions() -> list[Permission]:
    return [
        Permission(
            INSPECT, "See the enabled modules: versions, routes, tables, events, migrations."
        )
    ]
