"""Trellis core: domain-free machinery that assembles feature modules into one API.

Modules import from here only (`from core import SessionDep, hookimpl`): every name in
`__all__` is the public surface, and a test keeps the built-in modules to it.
"""

from core import metrics
from core.cache import Cache
from core.cli.context import fail, open_runtime
from core.constraints import FromSettings
from core.db import on_commit, on_rollback
from core.deps import (
    CacheDep,
    CurrentAdministrator,
    CurrentPrincipal,
    Forbidden,
    ModuleInventory,
    NotAuthenticated,
    ReadinessChecks,
    RuntimeDep,
    SessionDep,
    SettingsDep,
    module_settings,
    require,
)
from core.errors import ProblemError, ProblemResponse, problem_response
from core.hookspecs import hookimpl, hookspec
from core.inventory import MigrationReport, ModuleReport, RouteReport
from core.mail import Mailer, Message
from core.mail.templates import Rendered, render
from core.plugins import ConfigError
from core.ratelimit import Rate, RateLimited, consume, limit_key, read_as_caller
from core.realtime import PubSub, SlowSubscriber
from core.realtime.sockets import SocketPrincipal, accept_socket, reauthenticate, seconds_left
from core.records import (
    API_PREFIX,
    EVERY_RIGHT,
    HealthCheck,
    ModuleInfo,
    Mount,
    Permission,
    Principal,
    PrincipalResolver,
)
from core.runtime import Runtime
from core.settings import Settings
from core.shedding import Gate, time_queued
from core.tasks.spec import Task
from core.timestamps import UTCDateTime, utcnow

__all__ = [
    "API_PREFIX",
    "EVERY_RIGHT",
    "Cache",
    "CacheDep",
    "ConfigError",
    "CurrentAdministrator",
    "CurrentPrincipal",
    "Forbidden",
    "FromSettings",
    "Gate",
    "HealthCheck",
    "Mailer",
    "Message",
    "MigrationReport",
    "ModuleInfo",
    "ModuleInventory",
    "ModuleReport",
    "Mount",
    "NotAuthenticated",
    "Permission",
    "Principal",
    "PrincipalResolver",
    "ProblemError",
    "ProblemResponse",
    "PubSub",
    "Rate",
    "RateLimited",
    "ReadinessChecks",
    "Rendered",
    "RouteReport",
    "Runtime",
    "RuntimeDep",
    "SessionDep",
    "Settings",
    "SettingsDep",
    "SlowSubscriber",
    "SocketPrincipal",
    "Task",
    "UTCDateTime",
    "accept_socket",
    "consume",
    "fail",
    "hookimpl",
    "hookspec",
    "limit_key",
    "metrics",
    "module_settings",
    "on_commit",
    "on_rollback",
    "open_runtime",
    "problem_response",
    "read_as_caller",
    "reauthenticate",
    "render",
    "require",
    "seconds_left",
    "time_queued",
    "utcnow",
]
