"""Find installed modules, read `plugins.toml`, and decide which modules run in what order."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

import pluggy
from pydantic import BaseModel, ValidationError

from core import hookspecs
from core.records import ModuleInfo

ENTRY_POINT_GROUP = "trellis.modules"


class ConfigError(Exception):
    """A start-up configuration problem, reported as one line without a traceback."""


@dataclass(frozen=True)
class InstalledModule:
    """A module found on this machine: its metadata and the object carrying its hooks."""

    info: ModuleInfo
    plugin: object


@dataclass(frozen=True)
class PluginsConfig:
    """What `plugins.toml` says: enabled module names (in order) and their raw settings."""

    enabled: tuple[str, ...]
    settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def new_plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    return pm


def read_module_info(plugin: object) -> ModuleInfo:
    """Ask one plugin for its `module_info` hook through pluggy, as every other hook is called."""
    pm = new_plugin_manager()
    pm.register(plugin)
    infos: list[ModuleInfo] = pm.hook.module_info()
    if len(infos) != 1:
        raise ConfigError(f"{plugin!r} must implement module_info exactly once")
    return infos[0]


def discover_modules(extra_plugins: Iterable[object] = ()) -> dict[str, InstalledModule]:
    """Every module installed through the `trellis.modules` entry point group (built-ins too)."""
    found: dict[str, InstalledModule] = {}
    plugins = [_load(ep) for ep in entry_points(group=ENTRY_POINT_GROUP)]
    for plugin in [*plugins, *extra_plugins]:
        info = read_module_info(plugin)
        if info.name in found and found[info.name].plugin is not plugin:
            raise ConfigError(f"two installed packages both provide the module {info.name!r}")
        found[info.name] = InstalledModule(info=info, plugin=plugin)
    return found


def _load(entry_point: EntryPoint) -> object:
    """Import one module's plugin; a broken package is named in one line, not a traceback."""
    try:
        return entry_point.load()
    except Exception as error:  # any import-time failure of third-party code
        raise ConfigError(
            f"cannot load module {entry_point.name!r} from {entry_point.value}: "
            f"{type(error).__name__}: {error}"
        ) from error


def read_plugins_file(path: Path) -> PluginsConfig:
    """Parse `plugins.toml`; a missing or malformed file is a ConfigError naming the file."""
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path} not found (set TRELLIS_PLUGINS to its location)") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None
    enabled = data.get("enabled")
    if not isinstance(enabled, list) or not all(isinstance(name, str) for name in enabled):
        raise ConfigError(f"{path}: 'enabled' must be a list of module names")
    settings = data.get("modules", {})
    if not isinstance(settings, dict) or not all(isinstance(v, dict) for v in settings.values()):
        raise ConfigError(f"{path}: [modules.<name>] entries must be tables")
    unexpected = set(data) - {"enabled", "modules"}
    if unexpected:
        raise ConfigError(f"{path}: unknown top-level key(s): {', '.join(sorted(unexpected))}")
    return PluginsConfig(enabled=tuple(enabled), settings=settings)


def resolve_enabled(
    config: PluginsConfig, installed: Mapping[str, InstalledModule]
) -> list[InstalledModule]:
    """The enabled modules, dependencies first, otherwise in `plugins.toml` order."""
    available = ", ".join(sorted(installed)) or "none"
    for name in [*config.enabled, *config.settings]:
        if name not in installed:
            raise ConfigError(f"unknown module {name!r} in plugins.toml; available: {available}")
    if len(set(config.enabled)) != len(config.enabled):
        raise ConfigError("plugins.toml enables a module more than once")
    for name in config.enabled:
        for required in installed[name].info.requires:
            if required not in config.enabled:
                raise ConfigError(
                    f"module {name!r} requires {required!r}, which is not enabled in plugins.toml"
                )
    ordered: list[str] = []
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in ordered:
            return
        if name in visiting:
            cycle = " -> ".join([*visiting[visiting.index(name) :], name])
            raise ConfigError(f"dependency cycle between modules: {cycle}")
        visiting.append(name)
        for required in installed[name].info.requires:
            visit(required)
        visiting.pop()
        ordered.append(name)

    for name in config.enabled:
        visit(name)
    return [installed[name] for name in ordered]


def validate_module_settings(
    modules: Iterable[InstalledModule], raw: Mapping[str, Mapping[str, Any]]
) -> dict[type[BaseModel], BaseModel]:
    """Validate each module's `[modules.<name>]` table against its settings model."""
    validated: dict[type[BaseModel], BaseModel] = {}
    for module in modules:
        model = module.info.settings
        try:
            validated[model] = model.model_validate(raw.get(module.info.name, {}))
        except ValidationError as error:
            raise ConfigError(_describe_setting_error(module.info.name, error)) from None
    return validated


def _describe_setting_error(module: str, error: ValidationError) -> str:
    problems = []
    for item in error.errors(include_input=False, include_url=False):
        key = ".".join(str(part) for part in item["loc"]) or "(table)"
        problems.append(f"{key}: {item['msg']}")
    return f"plugins.toml [modules.{module}] " + "; ".join(problems)
