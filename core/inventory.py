"""What runs: each enabled module's metadata, routes, tables, events and migration state.

The static part is described once at start-up (`describe_modules`); the migration state is
read from the database on every call (`module_inventory`), so a revision added since shows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from core import hookspecs
from core.errors import ProblemError
from core.host import Host, ask, spec_names
from core.migrate import status
from core.plugins import ConfigError, InstalledModule
from core.routes import served_routes
from core.runtime import Runtime

# The core's own hooks: implementing one is wiring, not subscribing to an event.
GENERIC_HOOKS = frozenset(spec_names(hookspecs))


@dataclass(frozen=True)
class RouteReport:
    """One method on one full path, as served: `GET /api/v1/users/me`."""

    method: str
    path: str


@dataclass(frozen=True)
class MigrationReport:
    """A module's migration head and the revision the database holds for it."""

    head: str | None
    current: str | None

    @property
    def behind(self) -> bool:
        return self.head is not None and self.current != self.head


@dataclass(frozen=True)
class ModuleReport:
    """One enabled module as it runs; `migrations` is None for a module without any."""

    name: str
    version: str
    distribution: str | None  # "trellis 0.1.0"; None for a plugin passed in memory
    description: str
    requires: tuple[str, ...]  # as declared, with version ranges: "users>=0.1"
    routes: tuple[RouteReport, ...]
    tables: tuple[str, ...]
    publishes: tuple[str, ...]  # the events (hook specs) the module declares
    subscribes: tuple[str, ...]  # the events of any module it implements
    permissions: tuple[str, ...] = ()  # the permissions it declares: "notes:moderate"
    migrations: MigrationReport | None = None


def describe_modules(host: Host) -> tuple[ModuleReport, ...]:
    """The enabled modules in start-up order, without their migration state."""
    tables = host.table_names()
    routes: dict[str, list[RouteReport]] = {}
    for module, mount in host.mounts():
        routes.setdefault(module, []).extend(
            RouteReport(method, route.path)
            for route in served_routes(module, mount.router.routes, mount.prefix)
            for method in sorted(route.methods)
        )
    permissions: dict[str, list[str]] = {}
    for permission in host.permissions().values():
        permissions.setdefault(permission.module, []).append(permission.name)
    return tuple(
        _describe(
            host,
            module,
            routes.get(module.info.name, []),
            tables.get(module.info.name, []),
            permissions.get(module.info.name, []),
        )
        for module in host.enabled
    )


def _describe(
    host: Host,
    module: InstalledModule,
    routes: list[RouteReport],
    tables: list[str],
    permissions: list[str],
) -> ModuleReport:
    info = module.info
    implemented = {caller.name for caller in host.pm.get_hookcallers(module.plugin) or []}
    return ModuleReport(
        name=info.name,
        version=info.version,
        distribution=module.distribution,
        description=info.description,
        requires=info.requires,
        routes=tuple(routes),
        tables=tuple(tables),
        publishes=tuple(
            sorted(name for ns in ask(module, "register_hookspecs") for name in spec_names(ns))
        ),
        subscribes=tuple(sorted(implemented - GENERIC_HOOKS)),
        permissions=tuple(permissions),
    )


class SchemaUnreadable(ProblemError):
    status = 503
    title = "Service Unavailable"


async def module_inventory(
    host: Host, runtime: Runtime, described: tuple[ModuleReport, ...] | None = None
) -> list[ModuleReport]:
    """`described` (or the host's modules) with each migration state read from the database.

    One short connection; a module without a migrations folder keeps `migrations=None`.
    """
    reports = described if described is not None else describe_modules(host)
    with_migrations = host.migration_dirs()
    try:
        states = {line.module: line for line in await status(runtime, host)}
    except ConfigError as error:  # a revision no installed module provides: say which
        raise SchemaUnreadable(str(error)) from None
    return [
        replace(
            report,
            migrations=MigrationReport(states[report.name].head, states[report.name].current),
        )
        if report.name in with_migrations
        else report
        for report in reports
    ]
