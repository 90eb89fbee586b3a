"""The typed facade over the plugin manager: one method per hook, results in module order."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

import pluggy
from pydantic import BaseModel
from sqlmodel import SQLModel

from core.plugins import (
    ConfigError,
    InstalledModule,
    PluginsConfig,
    discover_modules,
    new_plugin_manager,
    read_plugins_file,
    resolve_enabled,
    validate_module_settings,
)
from core.records import HealthCheck, ModuleInfo, Mount, PrincipalResolver

if TYPE_CHECKING:
    import typer
    from sqlalchemy.ext.asyncio import AsyncSession

    from core.runtime import Runtime

SettingsT = TypeVar("SettingsT", bound=BaseModel)


class DuplicateContribution(Exception):
    """Two modules contributed the same name (a table, a health check, a command)."""


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
        installed = discover_modules(extra_plugins)
        config = config or read_plugins_file(plugins_file)
        enabled = resolve_enabled(config, installed)
        settings = validate_module_settings(enabled, config.settings)
        pm = new_plugin_manager()
        try:
            for module in enabled:
                pm.register(module.plugin, name=module.info.name)
            pm.check_pending()
        except pluggy.PluginValidationError as error:
            raise ConfigError(f"invalid hook implementation: {error}") from None
        return cls(installed=installed, enabled=tuple(enabled), pm=pm, module_settings=settings)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(module.info.name for module in self.enabled)

    @property
    def infos(self) -> tuple[ModuleInfo, ...]:
        return tuple(module.info for module in self.enabled)

    def settings_for(self, model: type[SettingsT]) -> SettingsT:
        """The validated `[modules.<name>]` settings of the module that declared `model`."""
        value = self.module_settings[model]
        assert isinstance(value, model)
        return value

    # --- per-module calls ------------------------------------------------------------------

    def _each(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call `hook` on every enabled module in order; skip modules not implementing it."""
        results = []
        for module in self.enabled:
            if self.pm.get_plugin(module.info.name) is None:
                continue
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
        _refuse_duplicates("table", [t for names in tables.values() for t in names])
        return tables

    def mounts(self) -> list[tuple[str, Mount]]:
        return [(m, mount) for m, mounts in self._each("register_routers") for mount in mounts]

    def health_checks(self) -> list[HealthCheck]:
        checks = [check for _, checks in self._each("register_health_checks") for check in checks]
        _refuse_duplicates("health check", [check.name for check in checks])
        return checks

    def commands(self) -> list[typer.Typer]:
        commands = [cmd for _, commands in self._each("register_commands") for cmd in commands]
        _refuse_duplicates("command", [str(cmd.info.name) for cmd in commands])
        return commands

    def migration_dirs(self, *, installed: bool = False) -> dict[str, Path]:
        """Each module's revisions folder; `installed=True` includes disabled modules too."""
        if not installed:
            return dict(self._each("register_migrations"))
        dirs: dict[str, Path] = {}
        for name, module in self.installed.items():
            pm = new_plugin_manager()
            pm.register(module.plugin)
            found: list[Path] = pm.hook.register_migrations()
            if found:
                dirs[name] = found[0]
        return dirs

    def principal_resolver(self) -> PrincipalResolver | None:
        resolver: PrincipalResolver | None = self.pm.hook.principal_resolver()
        return resolver

    def lifespans(self, runtime: Runtime) -> list[AbstractAsyncContextManager[None]]:
        return [cm for _, cm in self._each("lifespan", runtime=runtime) if cm is not None]

    # --- domain events ---------------------------------------------------------------------

    async def _emit(self, hook: str, **kwargs: Any) -> None:
        for _, pending in self._each(hook, **kwargs):
            await pending

    async def user_created(self, runtime: Runtime, session: AsyncSession, user_id: UUID) -> None:
        await self._emit("user_created", runtime=runtime, session=session, user_id=user_id)

    async def user_updated(
        self, runtime: Runtime, session: AsyncSession, user_id: UUID, changed: frozenset[str]
    ) -> None:
        await self._emit(
            "user_updated", runtime=runtime, session=session, user_id=user_id, changed=changed
        )

    async def user_deleted(self, runtime: Runtime, session: AsyncSession, user_id: UUID) -> None:
        await self._emit("user_deleted", runtime=runtime, session=session, user_id=user_id)

    async def user_password_changed(
        self, runtime: Runtime, session: AsyncSession, user_id: UUID
    ) -> None:
        await self._emit("user_password_changed", runtime=runtime, session=session, user_id=user_id)


def _flatten_by_module(pairs: Sequence[tuple[str, list[Any]]]) -> dict[str, list[Any]]:
    merged: dict[str, list[Any]] = {}
    for module, items in pairs:
        merged.setdefault(module, []).extend(items)
    return merged


def _refuse_duplicates(kind: str, names: Sequence[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise DuplicateContribution(f"two modules contribute the {kind} {name!r}")
        seen.add(name)
