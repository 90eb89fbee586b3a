"""Read `plugins.toml`: which modules are enabled, in what order, and their settings."""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from core.plugins.discovery import InstalledModule
from core.plugins.errors import ConfigError

TOP_LEVEL_KEYS = ("enabled", "modules")


@dataclass(frozen=True)
class PluginsConfig:
    """What `plugins.toml` says: enabled module names (in order) and their raw settings."""

    enabled: tuple[str, ...]
    settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def mentioned(self) -> frozenset[str]:
        """Every module the file names, enabled or configured: a problem with one is fatal."""
        return frozenset(self.enabled) | frozenset(self.settings)


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
