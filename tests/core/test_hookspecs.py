"""Every hook is documented where module authors look: its docstring and the module guide."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from core import hookspecs
from modules.roles import hookspecs as role_events
from modules.users import hookspecs as user_events

GUIDE = Path(__file__).parents[2] / "docs" / "writing-a-module.md"
# The core's generic hooks and the events the built-in modules publish.
SPECS = {
    name: function
    for namespace in (hookspecs, user_events, role_events)
    for name, function in inspect.getmembers(namespace, inspect.isfunction)
    if hasattr(function, f"{hookspecs.PROJECT}_spec")
}


def test_there_are_hooks() -> None:
    assert {
        "module_info",
        "register_routers",
        "register_permissions",
        "principal_resolver",
        "rights_of",
        "user_deleted",
        "user_rights_changed",
    } <= set(SPECS)


@pytest.mark.parametrize("name", SPECS)
def test_each_hook_has_a_docstring_with_an_example(name: str) -> None:
    doc = inspect.getdoc(SPECS[name]) or ""
    assert doc.splitlines()[0].endswith("."), f"{name}: one-line summary first"
    assert "Example::" in doc, f"{name}: give a short example implementation"


@pytest.mark.parametrize("name", SPECS)
def test_each_hook_is_in_the_module_guide(name: str) -> None:
    assert f"`{name}" in GUIDE.read_text(), f"docs/writing-a-module.md does not mention {name}"
