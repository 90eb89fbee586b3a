"""Imports that reach past another module's public surface (its package's `__all__`).

A module imports the core only as `from core import name`, and another module only as
`from <its package> import name` with `name` in that package's `__all__`: everything else is
an internal that may change without notice. One exception: a module's `testing.py`, a pytest
plugin of fixtures for other teams' tests, may build on this test kit (`core.testing`), which
no running app imports.
"""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType

from core.plugins import InstalledModule


def package_of(module: InstalledModule) -> str:
    """The package holding a module's plugin: `acme_notes`, `modules.users`."""
    plugin = module.plugin
    source = plugin if isinstance(plugin, ModuleType) else sys.modules[type(plugin).__module__]
    return source.__package__ or source.__name__


def foreign_imports(
    module: InstalledModule, installed: Mapping[str, InstalledModule]
) -> Iterator[str]:
    """One line per import in `module`'s package that another module does not offer."""
    own = package_of(module)
    others = {package_of(other) for other in installed.values()} - {own}
    root = Path(importlib.import_module(own).__file__ or "").parent
    for path in sorted(root.rglob("*.py")):
        for target, names in _imports(ast.parse(path.read_text(), str(path))):
            if path.name == "testing.py" and _under(target, "core.testing"):
                continue
            problem = _judge(target, names, others)
            if problem:
                yield f"{path.relative_to(root.parent)}: {problem}"


def _imports(tree: ast.Module) -> Iterator[tuple[str, list[str]]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, [alias.name for alias in node.names]


def _under(target: str, package: str) -> bool:
    return target == package or target.startswith(package + ".")


def _judge(target: str, names: list[str], others: set[str]) -> str | None:
    if _under(target, "core"):
        return _judge_public("core", target, names)
    for name in names:  # `from modules import users`: another module's package as a whole
        if f"{target}.{name}" in others:
            return f"imports {target}.{name} whole; import names from it (its __all__)"
    for package in others:
        if _under(target, package):
            return _judge_public(package, target, names)
    return None


def _judge_public(package: str, target: str, names: list[str]) -> str | None:
    if target != package or not names:
        return f"imports {target}; import names from {package} itself (its __all__)"
    public = set(getattr(importlib.import_module(package), "__all__", ()))
    hidden = [name for name in names if name not in public]
    if hidden:
        return f"imports {', '.join(hidden)} from {package}, not in its __all__"
    return None
