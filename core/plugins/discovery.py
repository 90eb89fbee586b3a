"""Find the modules installed through the `trellis.modules` entry points.

Never fatal by itself: a broken or clashing package only stops start-up when `plugins.toml`
names the module it claims (`Discovery.usable`); otherwise it is a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata

import pluggy
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from core import hookspecs
from core.plugins.errors import ConfigError
from core.records import ModuleInfo

ENTRY_POINT_GROUP = "trellis.modules"

log = logging.getLogger("trellis.modules")


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
