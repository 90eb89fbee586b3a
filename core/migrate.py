"""Per-module Alembic branches: build the config from the plugin host and run it async."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

import migrations
from core.host import Host
from core.plugins import ConfigError
from core.runtime import Runtime

log = logging.getLogger("trellis.migrate")
MIGRATIONS_DIR = Path(migrations.__file__).parent
CORE_BRANCH = "core"
# Any constant works; it only has to be the same for every Trellis process on one database.
PG_LOCK_KEY = 0x7472656C6C6973
T = TypeVar("T")


class SchemaBehind(ConfigError):
    """The database lacks migrations of an enabled module."""


def alembic_config(host: Host, *, scoped_tables: set[str] | None = None) -> Config:
    """Version folders of every *installed* module, so a disabled one never breaks history."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    folders = [MIGRATIONS_DIR / "versions", *host.migration_dirs(installed=True).values()]
    config.set_main_option("version_locations", os.pathsep.join(str(f) for f in folders))
    config.attributes["target_metadata"] = SQLModel.metadata
    config.attributes["scoped_tables"] = scoped_tables
    return config


def enabled_branches(host: Host) -> list[str]:
    """The core branch, then every enabled module with migrations, in dependency order."""
    return [CORE_BRANCH, *host.migration_dirs()]


async def run_locked(engine: AsyncEngine, work: Callable[[Connection], T]) -> T:
    """Run `work` in one transaction; on PostgreSQL, one migrating process at a time."""
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY}
            )
        return await connection.run_sync(work)


def applied_revisions(config: Config, connection: Connection) -> set[str]:
    """Every revision in the database: the recorded heads and all they descend from."""
    script = ScriptDirectory.from_config(config)
    heads = MigrationContext.configure(connection).get_current_heads()
    return {rev.revision for rev in script.revision_map.iterate_revisions(heads, "base") if rev}


def behind_branches(config: Config, connection: Connection, branches: list[str]) -> list[str]:
    script = ScriptDirectory.from_config(config)
    applied = applied_revisions(config, connection)
    return [
        branch
        for branch in branches
        if (head := script.get_revision(f"{branch}@head")) and head.revision not in applied
    ]


async def upgrade(runtime: Runtime) -> list[str]:
    """Bring every enabled branch to its head; returns the branches that moved."""
    config = alembic_config(runtime.host)
    branches = enabled_branches(runtime.host)

    def work(connection: Connection) -> list[str]:
        config.attributes["connection"] = connection
        behind = behind_branches(config, connection, branches)
        for branch in behind:
            command.upgrade(config, f"{branch}@head")
        return behind

    return await run_locked(runtime.engine, work)


async def pending(runtime: Runtime) -> list[str]:
    """Enabled branches whose head is not applied yet."""
    config = alembic_config(runtime.host)
    branches = enabled_branches(runtime.host)
    async with runtime.engine.connect() as connection:
        return await connection.run_sync(lambda c: behind_branches(config, c, branches))


async def prepare_schema(runtime: Runtime) -> None:
    """At start-up: migrate the embedded default; elsewhere refuse to run on an old schema."""
    if runtime.settings.should_auto_migrate:
        moved = await upgrade(runtime)
        if moved:
            log.info("migrated: %s", ", ".join(moved))
        return
    try:
        behind = await pending(runtime)
    except (DBAPIError, OSError) as error:
        log.warning("database unreachable at start-up, readiness will say so: %s", type(error))
        return
    if behind:
        raise SchemaBehind(
            f"the database schema is behind for: {', '.join(behind)}; run `trellis migrate`"
        )
