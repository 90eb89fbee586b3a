"""Module discovery, plugins.toml validation and ordering: each start-up error, one clear line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from pydantic import BaseModel

from core import ModuleInfo, hookimpl
from core.host import Host
from core.plugins import (
    ConfigError,
    PluginsConfig,
    discover_modules,
    load_modules,
    read_plugins_file,
)
from core.records import EmptySettings
from tests.support.packages import Site, plugin_source, site_packages


def fake_module(
    name: str, *, requires: tuple[str, ...] = (), settings: type[BaseModel] = EmptySettings
) -> ModuleType:
    """A plugin object built in memory, as a third-party package's plugin.py would be."""
    plugin = ModuleType(f"fake_{name}")
    info = ModuleInfo(name=name, version="1.0", requires=requires, settings=settings)

    @hookimpl
    def module_info() -> ModuleInfo:
        return info

    plugin.module_info = module_info  # type: ignore[attr-defined]
    return plugin


def load(
    enabled: list[str],
    settings: dict[str, dict[str, object]] | None = None,
    extra: list[ModuleType] | None = None,
) -> Host:
    config = PluginsConfig(enabled=tuple(enabled), settings=settings or {})
    return Host.load(Path("unused.toml"), config=config, extra_plugins=extra or [])


def test_builtin_modules_are_found_through_entry_points() -> None:
    assert {"health", "users", "auth"} <= set(discover_modules())


def test_unknown_module_lists_the_available_ones() -> None:
    with pytest.raises(
        ConfigError, match=r"unknown module 'nope'.*available: .*auth.*health.*users"
    ):
        load(["health", "nope"])


def test_module_whose_requirement_is_disabled_names_both() -> None:
    with pytest.raises(ConfigError, match=r"module 'auth' requires 'users', which is not enabled"):
        load(["health", "auth"])


def test_dependency_cycle_is_named() -> None:
    ping, pong = fake_module("ping", requires=("pong",)), fake_module("pong", requires=("ping",))
    with pytest.raises(
        ConfigError, match=r"dependency cycle between modules: ping -> pong -> ping"
    ):
        load(["ping", "pong"], extra=[ping, pong])


def test_bad_setting_names_the_key_and_what_was_expected() -> None:
    class Limits(BaseModel, extra="forbid"):
        per_minute: int = 5

    limited = fake_module("limited", settings=Limits)
    with pytest.raises(
        ConfigError, match=r"\[modules.limited\] per_minute: Input should be a valid integer"
    ):
        load(["limited"], {"limited": {"per_minute": "many"}}, extra=[limited])
    with pytest.raises(
        ConfigError, match=r"\[modules.limited\] typo: Extra inputs are not permitted"
    ):
        load(["limited"], {"limited": {"typo": 1}}, extra=[limited])


def test_settings_are_validated_and_reachable_by_model() -> None:
    class Limits(BaseModel, extra="forbid"):
        per_minute: int = 5

    host = load(
        ["limited"], {"limited": {"per_minute": 9}}, extra=[fake_module("limited", settings=Limits)]
    )
    assert host.module_settings[Limits] == Limits(per_minute=9)


def test_modules_start_in_dependency_order_whatever_the_file_order() -> None:
    base, middle, top = (
        fake_module("base"),
        fake_module("middle", requires=("base",)),
        fake_module("top", requires=("middle",)),
    )
    host = load(["top", "middle", "base"], extra=[base, middle, top])
    assert host.names == ("base", "middle", "top")


def test_plugins_file_errors_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    with pytest.raises(ConfigError, match=r"missing\.toml not found"):
        read_plugins_file(missing)
    broken = tmp_path / "broken.toml"
    broken.write_text("enabled = [")
    with pytest.raises(ConfigError, match=r"broken\.toml is not valid TOML"):
        read_plugins_file(broken)
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('enabled = "health"')
    with pytest.raises(ConfigError, match="'enabled' must be a list"):
        read_plugins_file(wrong)


def test_plugins_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "plugins.toml"
    path.write_text('enabled = ["health"]\n[modules.health]\n')
    assert read_plugins_file(path) == PluginsConfig(enabled=("health",), settings={"health": {}})


@pytest.fixture
def packages(tmp_path: Path) -> Iterator[Site]:
    with site_packages(tmp_path / "site") as site:
        yield site


def test_third_party_package_is_found_through_its_entry_point(packages: Site) -> None:
    packages.install("acme-memos", "2.1", memos=plugin_source("memos", "2.1", requires=("users",)))
    found = discover_modules()
    assert found["memos"].info.version == "2.1"
    assert found["memos"].label == "'memos' (acme-memos 2.1)"
    host = load(["users", "memos"])
    assert host.names == ("users", "memos")


def test_a_package_that_fails_to_import_stops_start_up_when_enabled(packages: Site) -> None:
    packages.install("acme-memos", "2.1", memos="raise RuntimeError('half-written')\n")
    with pytest.raises(
        ConfigError,
        match=r"cannot load module 'memos' \(acme-memos 2.1\) .*RuntimeError: half-written",
    ):
        load_modules(PluginsConfig(enabled=("users", "memos")))
