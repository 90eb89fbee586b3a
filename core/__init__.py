"""Trellis core: domain-free machinery that assembles feature modules into one API.

Modules import from here (and from `core.deps`) only.
"""

from core.hookspecs import hookimpl
from core.records import API_PREFIX, HealthCheck, ModuleInfo, Mount, Principal, PrincipalResolver

__all__ = [
    "API_PREFIX",
    "HealthCheck",
    "ModuleInfo",
    "Mount",
    "Principal",
    "PrincipalResolver",
    "hookimpl",
]
