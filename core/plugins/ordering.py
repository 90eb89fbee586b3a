"""Decide which enabled modules can run together, and in what order (dependencies first)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from packaging.specifiers import SpecifierSet

from core.plugins.config import PluginsConfig
from core.plugins.discovery import InstalledModule, core_version
from core.plugins.errors import ConfigError
from core.records import ModuleInfo


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
