"""Wiring of the system module."""

from __future__ import annotations

from core import ModuleInfo, Mount, hookimpl
from modules.system.router import router

MODULE = ModuleInfo(
    name="system",
    version="0.1.0",
    description="What runs: GET /api/v1/modules lists the enabled modules (administrators).",
)


@hookimpl
def module_info() -> ModuleInfo:
    return MODULE


@hookimpl
def register_routers() -> list[Mount]:
    return [Mount(router)]
