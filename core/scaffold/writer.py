"""Writing a new module's files from template/, its name and the running core's version."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from string import Template

from packaging.version import Version

from core.plugins import core_version

TEMPLATE = Path(__file__).parent / "template"
SUFFIX = ".tmpl"


def core_range(version: Version) -> str:
    """The core versions a module written now runs on: this minor release line (a 0.x minor
    may break modules), or from this minor to the next major once 1.0 is out."""
    major, minor = version.major, version.minor
    upper = f"{major}.{minor + 1}" if major == 0 else f"{major + 1}"
    return f">={major}.{minor},<{upper}"


def placeholders(name: str) -> dict[str, str]:
    """What `${...}` stands for in the template, for the module `name`."""
    return {
        "name": name,
        "Class": "".join(part.capitalize() for part in name.split("_")),
        "dist": name.replace("_", "-"),
        "core": core_range(core_version()),
        "date": date.today().isoformat(),
    }


def create_module(name: str, target: Path) -> list[Path]:
    """Write the module `name` into the new folder `target`; returns the files written.

    Raises FileExistsError when `target` exists: nothing is ever overwritten.
    """
    values = placeholders(name)
    target.mkdir(parents=True)
    written = []
    for source in sorted(TEMPLATE.rglob(f"*{SUFFIX}")):
        relative = Template(source.relative_to(TEMPLATE).as_posix()).substitute(values)
        path = target / relative.removesuffix(SUFFIX)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = Template(source.read_text(encoding="utf-8")).substitute(values)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
