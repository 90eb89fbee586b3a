"""Per-module Alembic branches, on an empty database of each backend.

The `alpha` and `beta` fixture modules (tests/fixtures) stand in for real ones: alpha has two
revisions, beta's table references alpha's and its revision `depends_on` alpha's.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

from core.app import create_app
from core.host import Host
from core.migrate import SchemaBehind, move_module, pending, status, upgrade
from core.plugins import ConfigError, discover_modules
from core.runtime import Runtime
from core.settings import Settings
from core.testing import plugins, running
from tests.fixtures.databases import (
    BACKENDS,
    FIXTURE_PLUGINS,
    TEST_SECRET,
    empty_database,
    sync_url,
    table_names,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_TABLES = {"fixture_alpha_item", "fixture_beta_item"}


@pytest.fixture(params=BACKENDS)
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    with empty_database(request.param, tmp_path) as settings:
        yield settings


@asynccontextmanager
async def runtime_of(
    settings: Settings, modules: Sequence[str]
) -> AsyncIterator[tuple[Runtime, Host]]:
    host = Host.load(settings.plugins_file, config=plugins(modules), extra_plugins=FIXTURE_PLUGINS)
    runtime = host.runtime(settings)
    try:
        yield runtime, host
    finally:
        await runtime.close()


async def migrate(settings: Settings, modules: Sequence[str]) -> list[str]:
    async with runtime_of(settings, modules) as (runtime, host):
        return await upgrade(runtime, host)


def versions(settings: Settings) -> set[str]:
    engine = create_engine(sync_url(settings))
    with engine.connect() as connection:
        found = set(MigrationContext.configure(connection).get_current_heads())
    engine.dispose()
    return found


def differences(settings: Settings, tables: set[str]) -> list[object]:
    """What autogenerate would write for `tables` against this database (nothing, ideally)."""

    def scoped(obj: object, name: str | None, type_: str, *_: object) -> bool:
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table is None or table in tables

    engine = create_engine(sync_url(settings))
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": scoped, "compare_type": True}
        )
        diff: list[object] = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    return diff


async def test_empty_to_heads_then_each_module_to_base_and_back(empty: Settings) -> None:
    modules = ["health", "alpha", "beta"]
    assert await migrate(empty, modules) == ["core", "alpha", "beta"]
    assert table_names(empty) >= FIXTURE_TABLES
    assert await migrate(empty, modules) == []  # idempotent

    async with runtime_of(empty, modules) as (runtime, host):
        assert await pending(runtime, host) == []
        assert await move_module(runtime, host, "beta", to="base", downgrade=True) == ["beta"]
        assert await move_module(runtime, host, "alpha", to="base", downgrade=True) == ["alpha"]
        assert not FIXTURE_TABLES & table_names(empty)
        assert await pending(runtime, host) == ["alpha", "beta"]
    assert versions(empty) == {"core_0002"}  # the core's own head stays

    assert await migrate(empty, modules) == ["alpha", "beta"]
    assert versions(empty) == {"core_0002", "alpha_0002", "beta_0001"}


async def test_models_and_migrations_agree_for_every_module(empty: Settings) -> None:
    modules = [*discover_modules(), "alpha", "beta", "memos"]
    await migrate(empty, modules)
    async with runtime_of(empty, modules) as (_runtime, host):
        by_module = host.table_names()
    for module in modules:
        tables = set(by_module.get(module, []))
        assert differences(empty, tables) == [], f"{module}: models and migrations differ"


async def test_enabling_a_module_later_applies_only_its_branch(empty: Settings) -> None:
    assert await migrate(empty, ["alpha"]) == ["core", "alpha"]
    assert "fixture_beta_item" not in table_names(empty)  # installed, not enabled: untouched

    assert await migrate(empty, ["alpha", "beta"]) == ["beta"]
    assert versions(empty) == {"core_0002", "alpha_0002", "beta_0001"}

    # Disabling beta drops nothing, and the remaining modules are not "behind".
    assert await migrate(empty, ["alpha"]) == []
    assert "fixture_beta_item" in table_names(empty)
    async with runtime_of(empty, ["alpha"]) as (runtime, host):
        assert await pending(runtime, host) == []


async def test_a_dependent_revision_runs_after_its_dependency(
    empty: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    async with runtime_of(empty, ["alpha", "beta"]) as (runtime, host):
        with caplog.at_level(logging.INFO, logger="alembic.runtime.migration"):
            moved = await move_module(runtime, host, "beta", to="head")
        ran = [
            r.message.split("-> ")[1].split(",")[0] for r in caplog.records if "-> " in r.message
        ]
        # beta_0001 pulls in only what it depends on: alpha_0001, not alpha's head.
        assert ran == ["core_0001", "alpha_0001", "beta_0001"]
        assert moved == ["alpha", "beta", "core"]
        lines = {line.module: line for line in await status(runtime, host)}
        assert (lines["alpha"].current, lines["alpha"].head) == ("alpha_0001", "alpha_0002")
        assert lines["alpha"].behind
        assert not lines["beta"].behind


async def test_one_module_to_a_revision_and_back_keeps_the_rows(empty: Settings) -> None:
    await migrate(empty, ["alpha", "beta"])
    engine = create_engine(sync_url(empty))
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO fixture_alpha_item (id, name, note) VALUES (1, 'a', 'n')")
        )
        connection.execute(text("INSERT INTO fixture_beta_item (id, alpha_id) VALUES (1, 1)"))

    async with runtime_of(empty, ["alpha", "beta"]) as (runtime, host):
        # Dropping a column: on SQLite a copy of the table replaces it (batch mode).
        assert await move_module(runtime, host, "alpha", to="alpha_0001", downgrade=True) == [
            "alpha"
        ]
        assert await pending(runtime, host) == ["alpha"]
        assert await move_module(runtime, host, "alpha", to="head") == ["alpha"]
        with pytest.raises(ConfigError, match="not a revision of the module 'alpha'"):
            await move_module(runtime, host, "alpha", to="beta_0001")
        with pytest.raises(ConfigError, match="not an enabled module"):
            await move_module(runtime, host, "health", to="head")

    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM fixture_alpha_item")).scalar() == 1
        # The copy of alpha's table must not have cascaded into beta's rows.
        assert connection.execute(text("SELECT count(*) FROM fixture_beta_item")).scalar() == 1
    engine.dispose()


async def test_start_up_refuses_a_schema_behind_unless_it_migrates_itself(
    empty: Settings,
) -> None:
    app = create_app(empty, plugins=plugins(["alpha"]), extra_plugins=FIXTURE_PLUGINS)
    with pytest.raises(SchemaBehind, match=r"behind for: core, alpha; run `trellis migrate`"):
        async with running(app):
            pass

    itself = empty.model_copy(update={"auto_migrate": True})
    app = create_app(itself, plugins=plugins(["health", "alpha"]), extra_plugins=FIXTURE_PLUGINS)
    async with running(app) as client:
        assert (await client.get("/health/ready")).status_code == 200
    assert "fixture_alpha_item" in table_names(empty)


@pytest.mark.skipif("postgres" not in BACKENDS, reason="needs TEST_DATABASE_URL")
def test_two_migrate_processes_at_once_both_succeed(tmp_path: Path) -> None:
    plugins_file = tmp_path / "plugins.toml"
    plugins_file.write_text('enabled = ["health", "users", "auth"]\n')
    with empty_database("postgres", tmp_path) as settings:
        env = {
            **os.environ,
            "DATABASE_URL": str(settings.database_url),
            "TRELLIS_PLUGINS": str(plugins_file),
            "TRELLIS_VAR_DIR": str(tmp_path / "var"),
            "SECRET_KEY": TEST_SECRET,
            "ENVIRONMENT": "development",
        }
        command = [sys.executable, "-m", "core.cli", "migrate"]
        runs = [
            subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
                command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            for _ in range(2)
        ]
        outputs = [run.communicate(timeout=120) for run in runs]
        assert [run.returncode for run in runs] == [0, 0], outputs
        said = sorted(out.decode().strip().split(":")[0] for out, _ in outputs)
        assert said == ["migrated", "nothing to do"]

        async def behind() -> list[str]:
            host = Host.load(plugins_file)
            runtime = host.runtime(settings)
            try:
                return await pending(runtime, host)
            finally:
                await runtime.close()

        assert asyncio.run(behind()) == []
