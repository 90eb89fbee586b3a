"""The contracts every Trellis module keeps: metadata, migrations, routes, imports, hooks."""

from __future__ import annotations

from core.testing.conformance import assert_conformant


def test_notes_keeps_the_module_contracts() -> None:
    assert_conformant("notes")
