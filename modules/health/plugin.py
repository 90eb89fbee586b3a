"""Wiring of the health module."""

from __future__ import annotations

from core import ModuleInfo, Mount, hookimpl
from modules.health.router import router

MODULE = ModuleInfo(
    name="health",
    version="1.0.0",
    description="Liveness (/health) and readiness (/health/ready) probes.",
)


@hookimpl
def module_info() -> ModuleInfo:
    return MODULE


@hookimpl
def register_routers() -> list[Mount]:
    return [Mount(router, prefix="")]
