"""Wiring of the users module."""

from __future__ import annotations

from core import ModuleInfo, hookimpl

MODULE = ModuleInfo(name="users", version="0.1.0", description="User accounts.")


@hookimpl
def module_info() -> ModuleInfo:
    return MODULE
