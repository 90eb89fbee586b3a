"""Warnings for disabled modules whose tables would block deletes in enabled modules' tables."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlmodel import SQLModel

from core import ModuleInfo, hookimpl
from core.host import Host
from core.plugins import discover_modules
from core.references import dangling_references, warn_dangling_references
from core.testing import plugins
from tests.fixtures.acme_memos import plugin as memos
from tests.fixtures.databases import FIXTURE_PLUGINS
from tests.fixtures.gamma import FixtureGammaItem, GammaPlugin

MEMOS_WARNING = (
    "module 'memos' is disabled but its table memos_memo refers to users_user (module 'users'):"
    " deleting a users_user row that memos_memo still refers to fails with 409;"
    " enable 'memos' again, or drop its tables with"
    " `trellis migrate --module memos --downgrade --to base`"
)


class Unmigrated:
    """A TEST-ONLY module with gamma's table but no migrations folder of its own."""

    @hookimpl
    def module_info(self) -> ModuleInfo:
        return ModuleInfo(name="unmigrated", version="0.0.1", requires=("alpha",))

    @hookimpl
    def register_models(self) -> list[type[SQLModel]]:
        return [FixtureGammaItem]


def test_a_disabled_module_blocking_deletes_is_named_with_what_to_do() -> None:
    installed = discover_modules([memos])
    # memos_label refers to users_user too, but ondelete="CASCADE": it blocks nothing.
    assert dangling_references(installed, ["health", "users", "auth"]) == [MEMOS_WARNING]


def test_nothing_while_it_is_enabled_or_what_it_refers_to_is_disabled_too() -> None:
    installed = discover_modules([memos])
    assert dangling_references(installed, ["users", "auth", "memos"]) == []
    assert dangling_references(installed, ["health"]) == []


def test_only_keys_without_cascade_or_set_null_block(tmp_path: Path) -> None:
    installed = discover_modules([*FIXTURE_PLUGINS, GammaPlugin(tmp_path), Unmigrated()])
    # beta's key into alpha's table cascades; gamma's (and so unmigrated's) does not.
    assert dangling_references(installed, ["alpha"]) == [
        "module 'gamma' is disabled but its table fixture_gamma_item refers to"
        " fixture_alpha_item (module 'alpha'): deleting a fixture_alpha_item row that"
        " fixture_gamma_item still refers to fails with 409; enable 'gamma' again, or drop its"
        " tables with `trellis migrate --module gamma --downgrade --to base`",
        "module 'unmigrated' is disabled but its table fixture_gamma_item refers to"
        " fixture_alpha_item (module 'alpha'): deleting a fixture_alpha_item row that"
        " fixture_gamma_item still refers to fails with 409; enable 'unmigrated' again, or drop"
        " its tables",
    ]


def test_start_up_logs_each_warning(caplog: pytest.LogCaptureFixture) -> None:
    host = Host.load(Path("unused.toml"), config=plugins(["users"]), extra_plugins=[memos])
    with caplog.at_level(logging.WARNING, logger="trellis"):
        warn_dangling_references(host)
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        ("trellis", logging.WARNING, MEMOS_WARNING)
    ]
