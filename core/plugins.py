"""Find installed modules, read `plugins.toml`, and decide which modules run in what order.

A broken or clashing package only stops start-up when `plugins.toml` names the module it
claims; otherwise it is a warning, so one stray package cannot take every command down.
"""

from __future__ import annotations

import difflib
import logging
import tomllib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import pluggy
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version
from pydantic import BaseModel, ValidationError

from core import hookspecs
from core.records import ModuleInfo

ENTRY_POINT_GROUP = "trellis.modules"
TOP_LEVEL_KEYS = ("enabled", "modules")

log = logging.getLogger("trellis.modules")


class ConfigError(Exception):
    """A start-up configuration problem, reported as one line without a traceback."""


def describe_module(name: str, distribution: str | None) -> str:
    """`'notes' (acme-notes 2.1)`, or `'notes'` when no distribution is known."""
    return f"{name!r} ({distribution})" if distribution else repr(name)


@dataclass(frozen=True)
class InstalledModule:
    """A module found on this machine: its metadata, the object carrying its hooks, and the
    distribution that installed it ("acme-notes 2.1"; None for a plugin passed in memory)."""

    info: ModuleInfo
    plugin: object
    distribution: str | None = None

    @property
    def label(self) -> str:
        """The module and its distribution, for one-line messages: `'notes' (acme-notes 2.1)`."""
        return describe_module(self.info.name, self.distribution)


@dataclass(frozen=True)
class PluginsConfig:
    """What `plugins.toml` says: enabled module names (in order) and their raw settings."""

    enabled: tuple[str, ...]
    settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def mentioned(self) -> frozenset[str]:
        """Every module the file names, enabled or configured: a problem with one is fatal."""
        return frozenset(self.enabled) | frozenset(self.settings)


@dataclass(frozen=True)
class Problem:
    """Why an installed module name cannot be used: fatal only if `plugins.toml` names it."""

    module: str
    message: str


@dataclass(frozen=True)
class Discovery:
    """What discovery found; problems wait until we know which modules `plugins.toml` names."""

    modules: dict[str, InstalledModule]
    clashes: dict[str, tuple[InstalledModule, ...]] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()

    def usable(self, mentioned: Collection[str]) -> dict[str, InstalledModule]:
        """The usable modules; raises for a problem with a `mentioned` module, logs the rest."""
        for problem in self.problems:
            if problem.module in mentioned:
                raise ConfigError(problem.message)
        for problem in self.problems:
            log.warning("%s", problem.message)
        return dict(self.modules)


@dataclass(frozen=True)
class LoadedModules:
    """What a Host is built from: usable installed modules, the enabled ones in start order,
    and the enabled modules' validated settings keyed by settings model."""

    installed: dict[str, InstalledModule]
    enabled: tuple[InstalledModule, ...]
    settings: dict[type[BaseModel], BaseModel]


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


@cache
def core_version() -> Version:
    """The installed Trellis core version, which modules' `core` ranges are checked against."""
    return Version(metadata.version("trellis"))


# --- discovery -------------------------------------------------------------------------------


def load_modules(config: PluginsConfig, *, extra_plugins: Iterable[object] = ()) -> LoadedModules:
    """Discover, check against `plugins.toml`, order, validate settings; raises ConfigError."""
    installed = discover(extra_plugins).usable(config.mentioned)
    enabled = resolve_enabled(config, installed)
    settings = validate_module_settings(enabled, config.settings)
    # A typo under a disabled module's table fails now rather than on the day it is enabled.
    disabled = [installed[name] for name in config.settings if name not in config.enabled]
    validate_module_settings(disabled, config.settings)
    return LoadedModules(installed=installed, enabled=tuple(enabled), settings=settings)


def discover(extra_plugins: Iterable[object] = ()) -> Discovery:
    """Every module installed through the `trellis.modules` entry points, plus `extra_plugins`.

    Never raises for a broken, clashing or mis-declared package: whether that matters depends
    on `plugins.toml`. A plugin passed in memory that lacks `module_info` is a ConfigError.
    """
    candidates: list[InstalledModule] = []
    problems: list[Problem] = []
    for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        found = _inspect(entry_point)
        if isinstance(found, Problem):
            problems.append(found)
        else:
            candidates.append(found)
    candidates += [InstalledModule(read_module_info(plugin), plugin) for plugin in extra_plugins]
    return _sort_out(candidates, problems)


def discover_modules(extra_plugins: Iterable[object] = ()) -> dict[str, InstalledModule]:
    """The usable installed modules by name; every problem found on the way is logged."""
    return discover(extra_plugins).usable(())


def _inspect(entry_point: metadata.EntryPoint) -> InstalledModule | Problem:
    """Import one module's plugin; a broken package is named by its entry point, in one line."""
    dist = entry_point.dist
    distribution = f"{dist.name} {dist.version}" if dist else None
    try:
        plugin = entry_point.load()
        info = read_module_info(plugin)
    except Exception as error:  # any import-time failure of third-party code
        where = describe_module(entry_point.name, distribution)
        return Problem(
            entry_point.name,
            f"cannot load module {where} from {entry_point.value}: {type(error).__name__}: {error}",
        )
    return InstalledModule(info=info, plugin=plugin, distribution=distribution)


def _sort_out(candidates: Iterable[InstalledModule], problems: list[Problem]) -> Discovery:
    """Set aside names claimed by several distributions and modules declaring bad versions."""
    by_name: dict[str, list[InstalledModule]] = {}
    for module in candidates:
        if reason := _contract_problem(module):
            problems.append(Problem(module.info.name, reason))
            continue
        same_name = by_name.setdefault(module.info.name, [])
        if all(other.plugin is not module.plugin for other in same_name):
            same_name.append(module)
    modules: dict[str, InstalledModule] = {}
    clashes: dict[str, tuple[InstalledModule, ...]] = {}
    for name, found in by_name.items():
        if len(found) > 1:
            clashes[name] = tuple(found)
            problems.append(Problem(name, _clash_message(name, found)))
        else:
            modules[name] = found[0]
    return Discovery(modules=modules, clashes=clashes, problems=tuple(problems))


def _clash_message(name: str, found: list[InstalledModule]) -> str:
    sources = [module.distribution or "a plugin passed in memory" for module in found]
    count = "two" if len(sources) == 2 else str(len(sources))
    listed = ", ".join(sources[:-1]) + " and " + sources[-1]
    return f"{count} installed distributions provide the module {name!r}: {listed}"


def _contract_problem(module: InstalledModule) -> str | None:
    """Why the versions a module declares cannot be read, or None; checked before any is used."""
    info, who = module.info, f"module {module.label}"
    try:
        Version(info.version)
    except InvalidVersion:
        return f"{who} has an invalid version {info.version!r} (PEP 440, e.g. '1.0.2')"
    try:
        SpecifierSet(info.core)
    except InvalidSpecifier:
        return f"{who} has an invalid core range {info.core!r} (PEP 440, e.g. '>=0.1,<0.2')"
    for entry in info.requires:
        if not _is_plain_requirement(entry):
            return (
                f"{who} has an invalid requires entry {entry!r} "
                "(a module name and an optional PEP 440 range, e.g. 'users>=1.2,<2')"
            )
    return None


def _is_plain_requirement(entry: str) -> bool:
    """A name and a version range only: extras, markers and URLs mean nothing for modules."""
    try:
        requirement = Requirement(entry)
    except InvalidRequirement:
        return False
    return not (requirement.extras or requirement.marker or requirement.url)


# --- plugins.toml ----------------------------------------------------------------------------


def read_plugins_file(path: Path) -> PluginsConfig:
    """Parse `plugins.toml`; a missing or malformed file is a ConfigError naming the file."""
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path} not found (set TRELLIS_PLUGINS to its location)") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None
    _check_top_level_keys(path, data)
    enabled = data["enabled"]
    if not isinstance(enabled, list) or not all(isinstance(name, str) for name in enabled):
        raise ConfigError(f"{path}: 'enabled' must be a list of module names")
    settings = data.get("modules", {})
    if not isinstance(settings, dict) or not all(isinstance(v, dict) for v in settings.values()):
        raise ConfigError(f"{path}: [modules.<name>] entries must be tables")
    return PluginsConfig(enabled=tuple(enabled), settings=settings)


def _check_top_level_keys(path: Path, data: Mapping[str, Any]) -> None:
    """Unknown keys first: `enable = [...]` is a typo to point at, not a missing `enabled`."""
    unknown = sorted(set(data) - set(TOP_LEVEL_KEYS))
    if unknown:
        raise ConfigError(f"{path}: " + "; ".join(_unknown_key(key) for key in unknown))
    if "enabled" not in data:
        raise ConfigError(f"{path}: 'enabled' is missing; list the modules to run in it")


def _unknown_key(key: str) -> str:
    close = difflib.get_close_matches(key, TOP_LEVEL_KEYS, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown top-level key {key!r}{hint}"


# --- enabled modules -------------------------------------------------------------------------


def resolve_enabled(
    config: PluginsConfig, installed: Mapping[str, InstalledModule]
) -> list[InstalledModule]:
    """The enabled modules, dependencies first, otherwise in `plugins.toml` order.

    Raises ConfigError for an unknown name, a requirement that is disabled or of the wrong
    version, a core version the module does not support, or a dependency cycle.
    """
    _check_names(config, installed)
    for name in config.enabled:
        _check_core(installed[name].info)
        _check_requirements(installed[name].info, installed, config.enabled)
    return [installed[name] for name in _dependency_order(config.enabled, installed)]


def _check_names(config: PluginsConfig, installed: Mapping[str, InstalledModule]) -> None:
    available = ", ".join(sorted(installed)) or "none"
    for name in [*config.enabled, *config.settings]:
        if name not in installed:
            raise ConfigError(f"unknown module {name!r} in plugins.toml; available: {available}")
    if len(set(config.enabled)) != len(config.enabled):
        raise ConfigError("plugins.toml enables a module more than once")


def _check_core(info: ModuleInfo) -> None:
    # Pre-releases count as in range: a development build of the core must run its modules.
    if not SpecifierSet(info.core).contains(core_version(), prereleases=True):
        raise ConfigError(
            f"module {info.name!r} supports Trellis core {info.core}, "
            f"but this is Trellis {core_version()}"
        )


def _check_requirements(
    info: ModuleInfo, installed: Mapping[str, InstalledModule], enabled: Collection[str]
) -> None:
    for entry, requirement in zip(info.requires, info.requirements, strict=True):
        name = requirement.name
        if name not in enabled:
            raise ConfigError(
                f"module {info.name!r} requires {name!r}, which is not enabled in plugins.toml"
            )
        version = installed[name].info.version
        if not requirement.specifier.contains(version, prereleases=True):
            raise ConfigError(
                f"module {info.name!r} requires {entry.strip()}, but {name} {version} is enabled"
            )


def _dependency_order(
    enabled: Iterable[str], installed: Mapping[str, InstalledModule]
) -> list[str]:
    ordered: list[str] = []
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in ordered:
            return
        if name in visiting:
            cycle = " -> ".join([*visiting[visiting.index(name) :], name])
            raise ConfigError(f"dependency cycle between modules: {cycle}")
        visiting.append(name)
        for required in installed[name].info.required_names:
            visit(required)
        visiting.pop()
        ordered.append(name)

    for name in enabled:
        visit(name)
    return ordered


# --- settings --------------------------------------------------------------------------------


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
