"""Third-party modules installed the way pip would: a package plus a `*.dist-info` whose
`entry_points.txt` lists its plugins in the `trellis.modules` group.

Each distribution gets a directory of its own on `sys.path`; `uninstall_all()` takes them off
again and forgets the imported packages, so other tests never see them.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import invalidate_caches
from pathlib import Path
from types import ModuleType

from fastapi import APIRouter

from core import ModuleInfo, Mount, hookimpl


def plugin_source(name: str, version: str = "1.0", **declared: object) -> str:
    """The `plugin.py` of a module that declares itself and nothing else.

    `declared` are further ModuleInfo fields: `plugin_source("notes", requires=("users",))`.
    """
    fields = {"name": name, "version": version, **declared}
    arguments = ", ".join(f"{key}={value!r}" for key, value in fields.items())
    return textwrap.dedent(
        f"""
        from core import ModuleInfo, hookimpl

        @hookimpl
        def module_info() -> ModuleInfo:
            return ModuleInfo({arguments})
        """
    )


class Site:
    """A place to install fake distributions into, for the length of one test."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._paths: list[str] = []
        self._packages: list[str] = []

    def install(self, distribution: str, version: str, **plugins: str) -> None:
        """Install `distribution`, one entry point per keyword: entry point name -> plugin source.

        `install("acme-notes", "2.1", notes=plugin_source("notes", "2.1"))` gives the entry
        point `notes = acme_notes.notes`.
        """
        package = distribution.replace("-", "_")
        home = self.root / package
        (home / package).mkdir(parents=True)
        (home / package / "__init__.py").write_text("")
        for entry, source in plugins.items():
            (home / package / f"{entry}.py").write_text(source)
        dist_info = home / f"{package}-{version}.dist-info"
        dist_info.mkdir()
        (dist_info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n"
        )
        lines = [f"{entry} = {package}.{entry}" for entry in plugins]
        (dist_info / "entry_points.txt").write_text("[trellis.modules]\n" + "\n".join(lines) + "\n")
        sys.path.insert(0, str(home))
        self._paths.append(str(home))
        self._packages.append(package)
        invalidate_caches()

    def uninstall_all(self) -> None:
        for path in self._paths:
            sys.path.remove(path)
        for package in self._packages:
            for name in [n for n in sys.modules if n == package or n.startswith(f"{package}.")]:
                del sys.modules[name]
        self._paths.clear()
        self._packages.clear()
        invalidate_caches()


@contextmanager
def site_packages(root: Path) -> Iterator[Site]:
    """A Site whose distributions are uninstalled on exit, whatever happened."""
    site = Site(root)
    try:
        yield site
    finally:
        site.uninstall_all()


def routed_module(name: str, router: APIRouter, version: str = "1.0") -> ModuleType:
    """A module built in memory that contributes `router` under /api/v1, and nothing else."""
    plugin = ModuleType(name)

    @hookimpl
    def module_info() -> ModuleInfo:
        return ModuleInfo(name=name, version=version)

    @hookimpl
    def register_routers() -> list[Mount]:
        return [Mount(router)]

    plugin.module_info = module_info  # type: ignore[attr-defined]
    plugin.register_routers = register_routers  # type: ignore[attr-defined]
    return plugin


def write_distribution(
    site: Path, distribution: str, version: str, module: str, source: str
) -> None:
    """`distribution` written into `site` as pip would (package + dist-info entry point), for a
    server process given `site` on its PYTHONPATH; this process's sys.path is left alone."""
    package = distribution.replace("-", "_")
    (site / package).mkdir(parents=True)
    (site / package / "__init__.py").write_text("")
    (site / package / "plugin.py").write_text(textwrap.dedent(source))
    dist = site / f"{package}-{version}.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n"
    )
    (dist / "entry_points.txt").write_text(f"[trellis.modules]\n{module} = {package}.plugin\n")
