"""Wiring of the auth module."""

from __future__ import annotations

from core import ModuleInfo, hookimpl

MODULE = ModuleInfo(
    name="auth", version="0.1.0", description="Tokens and sessions.", requires=("users",)
)


@hookimpl
def module_info() -> ModuleInfo:
    return MODULE
