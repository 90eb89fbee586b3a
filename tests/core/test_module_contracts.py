"""Module contracts: versions, required ranges, the supported core, and who provides a module.

A clash or a broken package stops start-up only when `plugins.toml` names the module it
concerns; otherwise every command still runs and says what is wrong as a warning.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from core import ModuleInfo, hookimpl
from core.app import create_app
from core.cli import CliOptions, app
from core.host import Host
from core.plugins import ConfigError, discover, load_modules, read_plugins_file
from core.settings import Settings
from core.testing import ClientFactory, plugins
from tests.fixtures.databases import FIXTURE_PLUGINS
from tests.support.packages import Site, plugin_source, site_packages

CORE = metadata.version("trellis")
DEFAULT = ("health", "users", "auth")  # what the repository's plugins.toml enables
runner = CliRunner()


@pytest.fixture
def packages(tmp_path: Path) -> Iterator[Site]:
    """Distributions installed for one test. Ask for `settings` before it: the shared template
    database is built from every installed module the first time `settings` is used."""
    with site_packages(tmp_path / "site") as site:
        yield site


def in_memory(name: str, version: str = "1.0", **declared: Any) -> ModuleType:
    """A plugin handed to the core in memory, with no distribution behind it."""
    plugin = ModuleType(f"fake_{name}")
    info = ModuleInfo(name=name, version=version, **declared)

    @hookimpl
    def module_info() -> ModuleInfo:
        return info

    plugin.module_info = module_info  # type: ignore[attr-defined]
    return plugin


def host_of(enabled: Sequence[str], extra: Sequence[object] = ()) -> Host:
    return Host.load(Path("unused.toml"), config=plugins(enabled), extra_plugins=extra)


def list_modules(enabled: Sequence[str] = ("health",)) -> Result:
    """`trellis modules` run with `enabled` as plugins.toml (and the test fixtures installed)."""
    options = CliOptions(plugins=plugins(enabled), extra_plugins=FIXTURE_PLUGINS)
    return runner.invoke(app, ["modules"], obj=options)


def rows_of(result: Result) -> dict[str, list[list[str]]]:
    """The `trellis modules` table by module name (a clashing name has several rows)."""
    rows: dict[str, list[list[str]]] = {}
    for line in result.stdout.splitlines()[1:]:
        cells = re.split(r" {2,}", line)
        rows.setdefault(cells[0], []).append(cells)
    return rows


def warnings_of(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("warning: ")]


# --- versions ---------------------------------------------------------------------------------


def test_a_satisfied_range_in_requires_orders_the_modules() -> None:
    base, top = in_memory("base", "1.4"), in_memory("top", requires=("base>=1.2,<2",))
    host = host_of(["top", "base"], [base, top])
    assert host.names == ("base", "top")
    assert host.installed["top"].info.required_names == ("base",)


def test_a_required_version_out_of_range_stops_start_up(settings: Settings) -> None:
    memos = in_memory("memos", requires=("users>=2.0",))
    with pytest.raises(
        ConfigError, match=r"^module 'memos' requires users>=2\.0, but users 0\.1\.0 is enabled$"
    ):
        create_app(settings, plugins=plugins(["users", "memos"]), extra_plugins=[memos])


def test_a_core_range_excluding_this_core_stops_start_up(packages: Site) -> None:
    packages.install("acme-memos", "2.1", memos=plugin_source("memos", "2.1", core="<0.1"))
    with pytest.raises(ConfigError) as raised:
        host_of(["memos"])
    assert str(raised.value) == (
        f"module 'memos' supports Trellis core <0.1, but this is Trellis {CORE}"
    )


def test_a_core_range_including_this_core_starts(packages: Site) -> None:
    packages.install("acme-memos", "2.1", memos=plugin_source("memos", "2.1", core=f"=={CORE}"))
    assert host_of(["memos"]).names == ("memos",)


@pytest.mark.parametrize(
    ("declared", "fragment"),
    [
        ({"version": "two"}, "invalid version 'two'"),
        ({"core": "~>0.1"}, "invalid core range '~>0.1'"),
        ({"requires": ("users>>2",)}, "invalid requires entry 'users>>2'"),
        ({"requires": ("users[admin]",)}, r"invalid requires entry 'users\[admin\]'"),
    ],
)
def test_unreadable_versions_name_the_module_when_enabled(
    packages: Site, declared: dict[str, Any], fragment: str
) -> None:
    packages.install("acme-memos", "2.1", memos=plugin_source("memos", **declared))
    with pytest.raises(
        ConfigError, match=rf"^module 'memos' \(acme-memos 2\.1\) has an {fragment}"
    ):
        load_modules(plugins(["users", "memos"]))
    # Not named in plugins.toml, the same package is only a warning.
    assert [problem.module for problem in discover().problems] == ["memos"]
    assert [m.info.name for m in load_modules(plugins(["health"])).enabled] == ["health"]


# --- who provides a module --------------------------------------------------------------------


def test_an_impostor_of_a_disabled_module_is_a_warning(
    settings: Settings, packages: Site, caplog: pytest.LogCaptureFixture
) -> None:
    packages.install("evil-users", "9.0", users=plugin_source("users", "9.0"))

    result = list_modules()

    assert result.exit_code == 0, result.output
    [warning] = warnings_of(result)
    assert "two installed distributions provide the module 'users'" in warning
    assert f"trellis {CORE}" in warning
    assert "evil-users 9.0" in warning
    rows = rows_of(result)
    assert sorted(row[2:4] for row in rows["users"]) == [
        ["evil-users 9.0", "clash"],
        [f"trellis {CORE}", "clash"],
    ]
    assert rows["health"][0][2:4] == [f"trellis {CORE}", "yes"]
    with caplog.at_level(logging.WARNING, logger="trellis.modules"):
        create_app(settings, plugins=plugins(["health"]))
    assert any("evil-users 9.0" in record.getMessage() for record in caplog.records)


def test_an_impostor_of_an_enabled_module_stops_start_up(
    settings: Settings, packages: Site
) -> None:
    packages.install("evil-users", "9.0", users=plugin_source("users", "9.0"))
    with pytest.raises(ConfigError) as raised:
        create_app(settings, plugins=plugins(DEFAULT))
    message = str(raised.value)
    assert message.startswith("two installed distributions provide the module 'users': ")
    assert f"trellis {CORE}" in message
    assert "evil-users 9.0" in message
    listed = list_modules(DEFAULT)  # still lists both, then fails with the same line
    assert listed.exit_code == 1
    assert listed.stderr.splitlines() == [f"error: {message}"]


async def test_a_clash_over_a_module_nobody_enabled_leaves_the_default_modules_running(
    make_client: ClientFactory, packages: Site
) -> None:
    packages.install("acme-memos", "2.1", memos=plugin_source("memos", "2.1"))
    packages.install("other-memos", "0.3", memos=plugin_source("memos", "0.3"))
    async with make_client(DEFAULT) as client:
        assert (await client.get("/health")).status_code == 200


def test_a_broken_package_nobody_enabled_is_a_warning(packages: Site) -> None:
    packages.install("acme-broken", "1.0", broken="raise ImportError('no module named acme_x')\n")

    result = list_modules()

    assert result.exit_code == 0, result.output
    assert warnings_of(result) == [
        "warning: cannot load module 'broken' (acme-broken 1.0) from acme_broken.broken: "
        "ImportError: no module named acme_x"
    ]
    assert {"health", "users", "auth"} <= rows_of(result).keys()
    with pytest.raises(ConfigError, match=r"^cannot load module 'broken' \(acme-broken 1\.0\)"):
        host_of(["health", "broken"])


# --- plugins.toml -----------------------------------------------------------------------------


def test_a_misspelt_top_level_key_is_named_before_enabled_is_missed(tmp_path: Path) -> None:
    path = tmp_path / "plugins.toml"
    path.write_text('enable = ["health"]\n')
    with pytest.raises(ConfigError) as raised:
        read_plugins_file(path)
    assert str(raised.value) == f"{path}: unknown top-level key 'enable' (did you mean 'enabled'?)"
    path.write_text("[modules.health]\n")
    with pytest.raises(ConfigError, match=r"'enabled' is missing"):
        read_plugins_file(path)


def test_a_typo_in_a_disabled_modules_settings_fails_config_check(settings: Settings) -> None:
    options = CliOptions(
        settings=settings,
        plugins=plugins(["health"], {"alpha": {"colour": "red"}}),
        extra_plugins=FIXTURE_PLUGINS,
    )
    result = runner.invoke(app, ["config", "check"], obj=options)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: plugins.toml [modules.alpha] colour: Extra inputs")
