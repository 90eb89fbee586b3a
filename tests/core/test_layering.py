"""The import layering of core/ and modules/, read from the source with `ast` (nothing is imported).

Every import counts, those under `if TYPE_CHECKING:` and inside functions included: a cycle
hidden in a function is still a cycle, only deferred to the first call.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterator, Mapping, Set
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "modules")


@dataclass(frozen=True)
class Import:
    """One name one file imports: `from pkg import a, b` gives two, `import pkg.mod` one."""

    path: str  # the importing file, relative to the repository: "modules/auth/keys.py"
    importer: str  # its dotted name: "modules.auth.keys"
    module: str  # the absolute module imported from: "modules.auth.config"
    name: str | None  # the name taken from it; None for `import module`
    line: int

    def __str__(self) -> str:
        taken = f"from {self.module} import {self.name}" if self.name else f"import {self.module}"
        return f"{self.path}:{self.line}: {taken}"


# --- reading the source -----------------------------------------------------------------------


def dotted_name(path: Path) -> str:
    """`core/cli/__init__.py` -> `core.cli`; `core/app.py` -> `core.app`."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def source_files() -> Mapping[str, Path]:
    """Every .py file under core/ and modules/, by dotted name."""
    files = {
        dotted_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "__pycache__" not in path.parts
    }
    assert {"core", "core.app", "modules"} <= files.keys(), "the packages were not found"
    return files


def imports_of(dotted: str, path: Path) -> Iterator[Import]:
    """Every import statement anywhere in the file, relative ones made absolute."""
    relative = str(path.relative_to(ROOT))
    package = dotted if path.name == "__init__.py" else dotted.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=relative)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(relative, dotted, alias.name, None, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node.module, node.level, package)
            for alias in node.names:
                yield Import(relative, dotted, module, alias.name, node.lineno)


def _absolute(module: str | None, level: int, package: str) -> str:
    """`from ..x import y` read in package `a.b` imports from `a.x`."""
    if level == 0:
        return module or ""
    base = package.rsplit(".", level - 1)[0]
    return f"{base}.{module}" if module else base


@cache
def all_imports() -> tuple[Import, ...]:
    """Every import of every file, in file and line order (the order offenders are listed in)."""
    found = (imp for name, path in source_files().items() for imp in imports_of(name, path))
    return tuple(sorted(found, key=lambda imp: (imp.path, imp.line)))


@cache

# --- the graph between files ------------------------------------------------------------------


def target_file(imp: Import) -> str | None:
    """The file an import runs: the submodule `pkg.name` when there is one, else `pkg`."""
    files = source_files()
    if imp.name is not None and f"{imp.module}.{imp.name}" in files:
        return f"{imp.module}.{imp.name}"
    return imp.module if imp.module in files else None


def import_graph() -> dict[str, set[str]]:
    """Which files each file runs by importing, within core/ and modules/."""
    graph: dict[str, set[str]] = {name: set() for name in source_files()}
    for imp in all_imports():
        target = target_file(imp)
        if target is not None:
            graph[imp.importer].add(target)
    return graph


def find_cycles(graph: Mapping[str, Set[str]]) -> list[str]:
    """One shortest cycle through each file caught in one, as "a -> b -> a".

    Files of one strongly connected tangle already shown in a cycle are not started from again,
    so a tangle is reported by a few cycles that together name all its files.
    """
    cycles: list[str] = []
    for component in _tangles(graph):
        shown: set[str] = set()
        for start in sorted(component):
            if start in shown:
                continue
            path = _shortest_path_back(graph, start, component)
            shown.update(path)
            cycles.append(" -> ".join([*path, start]))
    return cycles


def _tangles(graph: Mapping[str, Set[str]]) -> list[set[str]]:
    """Strongly connected components with a cycle in them (Tarjan's algorithm), in name order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component: set[str] = set()
            while node not in component:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
            if len(component) > 1 or node in graph[node]:
                found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found, key=min)


def _shortest_path_back(graph: Mapping[str, Set[str]], start: str, within: Set[str]) -> list[str]:
    """The files from `start` round to `start` again (breadth first, so the shortest loop)."""
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for successor in sorted(graph[node] & within):
            if successor == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return path[::-1]
            if successor not in came_from:
                came_from[successor] = node
                queue.append(successor)
    raise AssertionError(f"{start} is in a tangle but on no cycle")


# --- ownership --------------------------------------------------------------------------------


def under(dotted: str, package: str) -> bool:
    """`core.deps` is under `core`; `core_extras` is not."""
    return dotted == package or dotted.startswith(f"{package}.")


def report(title: str, offenders: list[str]) -> str:
    return "\n  ".join([f"{title} ({len(offenders)}):", *offenders])


# --- the rules --------------------------------------------------------------------------------


def test_cycle_finder_names_the_loop() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a", "d"}, "e": set()}
    assert find_cycles(graph) == ["a -> b -> c -> a", "d -> d"]


def test_no_import_cycle_between_files() -> None:
    cycles = find_cycles(import_graph())
    assert not cycles, report("import cycles between files; break each one", cycles)


def test_the_core_never_imports_a_module() -> None:
    offenders = [
        str(imp)
        for imp in all_imports()
        if under(imp.importer, "core") and under(imp.module, "modules")
    ]
    assert not offenders, report("core/ imports feature modules; use a hook instead", offenders)


# Modules importing only `core`'s and each other's `__all__` is the conformance check's rule
# (core/testing/imports.py), which tests/core/test_conformance.py applies to every built-in.
