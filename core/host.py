"""The typed facade over the plugin manager: one method per hook, results in module order.

Every contribution that must be unique across modules (tables, health checks, commands,
permissions, the principal resolver, published hooks) is checked here, and a clash names both
modules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy
from pydantic import BaseModel
from sqlmodel import SQLModel

from core.hookspecs import PROJECT
from core.plugins import (
    ConfigError,
    InstalledModule,
    PluginsConfig,
    load_modules,
    new_plugin_manager,
    read_plugins_file,
)
from core.records import HealthCheck, Mount, Permission, PrincipalResolver
from core.runtime import Runtime
from core.tasks.spec import Task

if TYPE_CHECKING:
    import typer

    from core.mail import MailSettings
    from core.settings import Settings

CORE = "the core"  # who owns a contribution the core makes itself, in clash messages
VERB = re.compile(r"[a-z][a-z0-9_]*")  # what follows "<module>:" or "<module>." in a name


class DuplicateContribution(ConfigError):
    """Two modules contributed the same name (a table, a health check, a command, a route)."""


@dataclass(frozen=True)
class Host:
    """The enabled modules, their validated settings, and typed access to their hooks."""

    installed: dict[str, InstalledModule]
    enabled: tuple[InstalledModule, ...]
    pm: pluggy.PluginManager
    module_settings: dict[type[BaseModel], BaseModel]
    _callers: dict[tuple[str, str], Callable[..., list[Any]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @classmethod
    def load(
        cls,
        plugins_file: Path,
        *,
        config: PluginsConfig | None = None,
        extra_plugins: Iterable[object] = (),
    ) -> Host:
        """Discover, validate and register; raises ConfigError with a one-line reason."""
        config = config or read_plugins_file(plugins_file)
        loaded = load_modules(config, extra_plugins=extra_plugins)
        installed, enabled, settings = loaded.installed, loaded.enabled, loaded.settings
        pm = new_plugin_manager()
        try:
            for module in enabled:
                pm.register(module.plugin, name=module.info.name)
            _add_published_hookspecs(pm, installed, [m.info.name for m in enabled])
            pm.check_pending()
        except pluggy.PluginValidationError as error:
            raise ConfigError(f"invalid hook implementation: {error}") from None
        return cls(installed=installed, enabled=tuple(enabled), pm=pm, module_settings=settings)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(module.info.name for module in self.enabled)

    def label(self, module: str) -> str:
        """How a clash message names a module: `'notes' (acme-notes 1.0)`."""
        return CORE if module == CORE else self.installed[module].label

    def runtime(self, settings: Settings, *, mail: MailSettings | None = None) -> Runtime:
        """The Runtime of these modules: their settings and permissions, and their hooks
        (events published, rights asked) called through it."""
        return Runtime.build(
            settings,
            module_settings=self.module_settings,
            publish=self.publish,
            collect=self.collect,
            permissions=self.permissions(),
            mail=mail,
            tasks=self.tasks(),
        )

    # --- per-module calls ------------------------------------------------------------------

    def _each(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call `hook` on every enabled module in order; skip modules not implementing it."""
        results = []
        for module in self.enabled:
            for result in self._caller(hook, module.info.name)(**kwargs):
                results.append((module.info.name, result))
        return results

    def _caller(self, hook: str, module: str) -> Callable[..., list[Any]]:
        """A hook caller restricted to one module, built once per (hook, module)."""
        if (hook, module) not in self._callers:
            others = [plugin for name, plugin in self.pm.list_name_plugin() if name != module]
            self._callers[hook, module] = self.pm.subset_hook_caller(hook, remove_plugins=others)
        return self._callers[hook, module]

    def models(self) -> dict[str, list[type[SQLModel]]]:
        return _flatten_by_module(self._each("register_models"))

    def table_names(self) -> dict[str, list[str]]:
        tables = {
            module: [str(model.__tablename__) for model in models]
            for module, models in self.models().items()
        }
        self.refuse_clashes("table", [(m, t) for m, names in tables.items() for t in names])
        return tables

    def mounts(self) -> list[tuple[str, Mount]]:
        return [(m, mount) for m, mounts in self._each("register_routers") for mount in mounts]

    def health_checks(
        self, runtime: Runtime, *, core: Sequence[HealthCheck] = ()
    ) -> list[HealthCheck]:
        """The core's checks, then every module's; a name used twice stops start-up."""
        owned = [(CORE, check) for check in core]
        owned += [
            (m, c)
            for m, checks in self._each("register_health_checks", runtime=runtime)
            for c in checks
        ]
        self.refuse_clashes("health check", [(owner, check.name) for owner, check in owned])
        return [check for _, check in owned]

    def commands(self, *, built_in: Sequence[str] = ()) -> list[typer.Typer]:
        """Module command groups; a name taken by `trellis` itself or another module stops."""
        owned = [(m, cmd) for m, commands in self._each("register_commands") for cmd in commands]
        names = [(CORE, name) for name in built_in]
        self.refuse_clashes("command", [*names, *((m, str(c.info.name)) for m, c in owned)])
        return [command for _, command in owned]

    def migration_dirs(self, *, installed: bool = False) -> dict[str, Path]:
        """Each module's revisions folder; `installed=True` includes disabled modules too."""
        if not installed:
            return dict(self._each("register_migrations"))
        dirs: dict[str, Path] = {}
        for name, module in self.installed.items():
            found: list[Path] = ask(module, "register_migrations")
            if found:
                dirs[name] = found[0]
        return dirs

    def permissions(self) -> dict[str, Permission]:
        """Every enabled module's permissions (`"<module>:<verb>"`), in module order, then name."""
        return self._named_after_modules("register_permissions", "permission", ":")

    def tasks(self) -> dict[str, Task]:
        """Every enabled module's background tasks (`"<module>.<verb>"`), in module order, then
        name."""
        return self._named_after_modules("register_tasks", "task", ".")

    def _named_after_modules(self, hook: str, kind: str, separator: str) -> dict[str, Any]:
        """The records `hook` returns, by name; a name declared twice, or not of the form
        `<module><separator><verb>` for the declaring module, stops start-up naming it."""
        owned = [(m, record) for m, found in self._each(hook) for record in found]
        self.refuse_clashes(kind, [(module, record.name) for module, record in owned])
        for module, record in owned:
            prefix, _, verb = record.name.partition(separator)
            if prefix != module or not VERB.fullmatch(verb):
                raise ConfigError(
                    f"module {self.label(module)} declares the {kind} {record.name!r}; "
                    f"a module names its {kind}s after itself: '{module}{separator}<verb>', "
                    "the verb in lower case letters, digits and underscores"
                )
        order = {name: index for index, name in enumerate(self.names)}
        owned.sort(key=lambda pair: (order[pair[0]], pair[1].name))
        return {record.name: record for _, record in owned}

    def principal_resolver(self, runtime: Runtime) -> PrincipalResolver | None:
        """The one module that authenticates callers; a second one stops start-up."""
        found = self._each("principal_resolver", runtime=runtime)
        if len(found) > 1:
            first, second = found[0][0], found[1][0]
            raise DuplicateContribution(
                f"modules {self.label(first)} and {self.label(second)} both implement "
                "principal_resolver; enable only one module that authenticates callers"
            )
        return found[0][1] if found else None

    def lifespans(self, runtime: Runtime) -> list[AbstractAsyncContextManager[None]]:
        return [cm for _, cm in self._each("lifespan", runtime=runtime) if cm is not None]

    # --- events ----------------------------------------------------------------------------

    async def publish(self, event: str, /, **arguments: object) -> None:
        """Await each enabled subscriber of `event` in module order, inside the caller's work."""
        for _, pending in self._each(event, **arguments):
            await pending

    async def collect(self, hook: str, /, **arguments: object) -> list[Any]:
        """Await each enabled implementation of the async `hook`; the answers in module order."""
        return [await pending for _, pending in self._each(hook, **arguments)]

    def refuse_clashes(self, kind: str, owned: Iterable[tuple[str, str]]) -> None:
        """Raise DuplicateContribution naming both owners of the first name seen twice."""
        owners: dict[str, str] = {}
        for owner, name in owned:
            if name in owners:
                first = owners[name]
                whose = (
                    f"module {self.label(first)} twice"
                    if first == owner
                    else f"{self.label(first)} and {self.label(owner)}"
                )
                raise DuplicateContribution(f"the {kind} {name!r} is contributed by {whose}")
            owners[name] = owner


def manager_for(module: InstalledModule) -> pluggy.PluginManager:
    """A plugin manager holding `module` alone, enabled or not, to ask or inspect its hooks."""
    pm = new_plugin_manager()
    pm.register(module.plugin)
    return pm


def ask(module: InstalledModule, hook: str) -> list[Any]:
    """Call one hook of one module on a plugin manager of its own (enabled or not)."""
    results: list[Any] = getattr(manager_for(module).hook, hook)()
    return results


def _add_published_hookspecs(
    pm: pluggy.PluginManager, installed: dict[str, InstalledModule], enabled: list[str]
) -> None:
    """Add every installed module's published hooks; a name clash among enabled ones stops.

    Disabled publishers' specs are added too, so their subscribers validate and stay idle.
    """
    publishers = {name: CORE for name, caller in vars(pm.hook).items() if caller.spec}
    for name in [*enabled, *sorted(set(installed) - set(enabled))]:
        for namespace in ask(installed[name], "register_hookspecs"):
            specs = spec_names(namespace)
            clash = next((spec for spec in specs if spec in publishers), None)
            if clash is None:
                pm.add_hookspecs(namespace)
                publishers.update(dict.fromkeys(specs, name))
            elif name in enabled and publishers[clash] in {CORE, *enabled}:
                owner = publishers[clash]
                who = CORE if owner == CORE else installed[owner].label
                raise DuplicateContribution(
                    f"the hook {clash!r} is published by {who} and {installed[name].label}"
                )


def spec_names(namespace: ModuleType) -> list[str]:
    """The hook specs (events) declared in a module's `register_hookspecs` namespace."""
    marker = f"{PROJECT}_spec"  # the attribute pluggy's HookspecMarker sets
    return [name for name in dir(namespace) if hasattr(getattr(namespace, name), marker)]


def _flatten_by_module(pairs: Sequence[tuple[str, list[Any]]]) -> dict[str, list[Any]]:
    merged: dict[str, list[Any]] = {}
    for module, items in pairs:
        merged.setdefault(module, []).extend(items)
    return merged
