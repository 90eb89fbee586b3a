"""Find installed modules, read `plugins.toml`, and decide which modules run in what order.

A broken or clashing package only stops start-up when `plugins.toml` names the module it
claims; otherwise it is a warning, so one stray package cannot take every command down.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel

from core.plugins.config import PluginsConfig, read_plugins_file, validate_module_settings
from core.plugins.discovery import (
    Discovery,
    InstalledModule,
    Problem,
    core_version,
    describe_module,
    discover,
    discover_modules,
    new_plugin_manager,
    read_module_info,
)
from core.plugins.errors import ConfigError
from core.plugins.ordering import resolve_enabled

__all__ = [
    "ConfigError",
    "Discovery",
    "InstalledModule",
    "LoadedModules",
    "PluginsConfig",
    "Problem",
    "core_version",
    "describe_module",
    "discover",
    "discover_modules",
    "load_modules",
    "new_plugin_manager",
    "read_module_info",
    "read_plugins_file",
    "resolve_enabled",
    "validate_module_settings",
]


@dataclass(frozen=True)
class LoadedModules:
    """What a Host is built from: usable installed modules, the enabled ones in start order,
    and the enabled modules' validated settings keyed by settings model."""

    installed: dict[str, InstalledModule]
    enabled: tuple[InstalledModule, ...]
    settings: dict[type[BaseModel], BaseModel]


def load_modules(config: PluginsConfig, *, extra_plugins: Iterable[object] = ()) -> LoadedModules:
    """Discover, check against `plugins.toml`, order, validate settings; raises ConfigError."""
    installed = discover(extra_plugins).usable(config.mentioned)
    enabled = resolve_enabled(config, installed)
    settings = validate_module_settings(enabled, config.settings)
    # A typo under a disabled module's table fails now rather than on the day it is enabled.
    disabled = [installed[name] for name in config.settings if name not in config.enabled]
    validate_module_settings(disabled, config.settings)
    return LoadedModules(installed=installed, enabled=tuple(enabled), settings=settings)
