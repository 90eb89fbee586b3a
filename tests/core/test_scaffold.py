"""`trellis modules new`: names it refuses, the files it writes, and that they are a module.

The whole round (pip install, migrate, the module's own tests on both backends, ruff, mypy)
is slow and changes the environment: `.ci/modules` runs it. Here the package is put on
`sys.path` with a `*.dist-info` naming its entry point, as pip would install it.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import invalidate_caches
from pathlib import Path

import pytest
from packaging.version import Version
from sqlmodel import SQLModel
from typer.testing import CliRunner, Result

from core.cli import CliOptions, app
from core.plugins import core_version
from core.scaffold.names import MAX_LENGTH
from core.scaffold.writer import TEMPLATE, core_range
from core.testing import plugins
from core.testing.conformance import conformance_problems
from tests.fixtures.databases import FIXTURE_PLUGINS

runner = CliRunner()
NAME = "team_notes"
EXPECTED = {
    "README.md",
    "pyproject.toml",
    f"{NAME}/__init__.py",
    f"{NAME}/config.py",
    f"{NAME}/dependencies.py",
    f"{NAME}/exceptions.py",
    f"{NAME}/models.py",
    f"{NAME}/plugin.py",
    f"{NAME}/router.py",
    f"{NAME}/schemas.py",
    f"{NAME}/service.py",
    f"{NAME}/migrations/{NAME}_0001_create_{NAME}_item.py",
    "tests/__init__.py",
    "tests/conftest.py",
    "tests/test_module.py",
    "tests/test_router.py",
}


def new(name: str, where: Path) -> Result:
    """`trellis modules new NAME --path WHERE`, with the fixture modules installed in memory."""
    options = CliOptions(plugins=plugins(["health"]), extra_plugins=FIXTURE_PLUGINS)
    return runner.invoke(app, ["modules", "new", name, "--path", str(where)], obj=options)


def files_under(root: Path) -> set[str]:
    return {
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("team-notes", "is not a Python identifier"),
        ("2fa", "is not a Python identifier"),
        ("TeamNotes", "is not lowercase snake_case"),
        ("team__notes", "is not lowercase snake_case"),
        ("_notes", "is not lowercase snake_case"),
        ("class", "is a Python keyword"),
        ("n" * (MAX_LENGTH + 1), f"is longer than {MAX_LENGTH} characters"),
        ("users", "a module named 'users' is already installed (by trellis "),
        ("alpha", "a module named 'alpha' is already installed (by a plugin passed in memory)"),
        ("json", "'json' is already an importable package"),
        ("core", "'core' is already an importable package"),
    ],
)
def test_a_bad_name_is_one_line_and_writes_nothing(name: str, reason: str, tmp_path: Path) -> None:
    result = new(name, tmp_path)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1
    assert reason in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / NAME).mkdir()
    result = new(NAME, tmp_path)
    assert result.exit_code == 1
    assert result.stderr == f"error: {tmp_path / NAME} already exists\n"
    assert list((tmp_path / NAME).iterdir()) == []


def test_it_writes_an_installable_package(tmp_path: Path) -> None:
    result = new(NAME, tmp_path / "work")
    assert result.exit_code == 0, result.output
    root = tmp_path / "work" / NAME
    assert files_under(root) == EXPECTED
    assert str(root) in result.stdout
    pyproject = (root / "pyproject.toml").read_text()
    assert 'name = "trellis-team-notes"' in pyproject
    assert f'{NAME} = "{NAME}.plugin"' in pyproject
    assert f'core="{core_range(core_version())}"' in (root / NAME / "plugin.py").read_text()
    for path in root.rglob("*.py"):
        compile(path.read_text(), str(path), "exec")


@pytest.mark.parametrize(
    ("running", "supported"),
    [
        ("0.1.0", ">=0.1,<0.2"),
        ("0.4.2", ">=0.4,<0.5"),
        ("1.3.0", ">=1.3,<2"),
        ("2.0.1", ">=2.0,<3"),
    ],
)
def test_the_core_range_is_the_running_release_line(running: str, supported: str) -> None:
    assert core_range(Version(running)) == supported


def test_the_template_holds_only_what_package_data_ships() -> None:
    # pyproject.toml ships `template/**/*.tmpl`; any other file would be left out of a wheel.
    assert {path.suffix for path in TEMPLATE.rglob("*") if path.is_file()} == {".tmpl"}


@pytest.mark.parametrize("name", ["q", NAME, "n" * MAX_LENGTH])
def test_the_code_is_lint_clean_whatever_the_name_length(name: str, tmp_path: Path) -> None:
    assert new(name, tmp_path).exit_code == 0
    for check in (["check", "--quiet"], ["format", "--check", "--quiet"]):
        ruff = [sys.executable, "-m", "ruff", *check, "."]
        done = subprocess.run(ruff, cwd=tmp_path / name, capture_output=True, text=True)  # noqa: S603
        assert done.returncode == 0, done.stdout + done.stderr


@contextmanager
def installed(root: Path, name: str, distribution: str) -> Iterator[None]:
    """The project at `root` on sys.path with the dist-info pip would write; removed on exit."""
    dist_info = root / f"{distribution.replace('-', '_')}-0.1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 0.1.0\n"
    )
    (dist_info / "entry_points.txt").write_text(f"[trellis.modules]\n{name} = {name}.plugin\n")
    sys.path.insert(0, str(root))
    invalidate_caches()
    try:
        yield
    finally:
        sys.path.remove(str(root))
        for module in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
            del sys.modules[module]
        invalidate_caches()
        # The package is forgotten; its table must leave the shared metadata with it.
        table = SQLModel.metadata.tables.get(f"{name}_item")
        if table is not None:
            SQLModel.metadata.remove(table)


def test_the_module_keeps_the_contracts_and_its_migration_matches_its_models(
    tmp_path: Path,
) -> None:
    assert new(NAME, tmp_path).exit_code == 0
    with installed(tmp_path / NAME, NAME, "trellis-team-notes"):
        assert conformance_problems(NAME) == []
