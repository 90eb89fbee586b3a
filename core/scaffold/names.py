"""Which names a new module may take: one line saying why not, otherwise nothing."""

from __future__ import annotations

import importlib.util
import keyword
import re
import sys
from collections.abc import Mapping

SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
# Revision ids are `<name>_0001`, and Alembic's version column holds 32 characters.
MAX_LENGTH = 27


class BadName(ValueError):
    """The name cannot be a module's: the message says why, in one line."""


def check_name(name: str, *, installed: Mapping[str, str]) -> None:
    """Raise BadName unless `name` can be a new module's and its package's name.

    `installed` maps the names of installed modules to who provides them: "by trellis 0.1.0".
    """
    if not name.isidentifier():
        raise BadName(f"{name!r} is not a Python identifier; use lowercase snake_case: team_notes")
    if keyword.iskeyword(name):
        raise BadName(f"{name!r} is a Python keyword")
    if not SNAKE_CASE.fullmatch(name):
        raise BadName(f"{name!r} is not lowercase snake_case, such as team_notes")
    if len(name) > MAX_LENGTH:
        raise BadName(
            f"{name!r} is longer than {MAX_LENGTH} characters: its revision ids ({name}_0001)"
            " would not fit Alembic's 32"
        )
    if name in installed:
        raise BadName(f"a module named {name!r} is already installed ({installed[name]})")
    # The package would shadow, or be shadowed by, what `import name` finds today.
    if name in sys.modules or importlib.util.find_spec(name) is not None:
        raise BadName(f"{name!r} is already an importable package; pick another name")
