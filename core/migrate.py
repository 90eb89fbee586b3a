"""Per-module Alembic branches: build the config from the plugin host and run it async.

Every function here is what a `trellis migrate` / `trellis migrations status` command, or
start-up, calls (writing a revision is `core.revisions`); `migrations/env.py` only runs what
they ask for on the connection they hand it.
"""

from __future__ import annotations

import logging
import os
import re
from argparse import Namespace
from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class BranchStatus:
    """One line of `trellis migrations status`; `None` revisions print as `-`."""

    module: str
    current: str | None
    head: str | None

    @property
    def behind(self) -> bool:
        return self.head is not None and self.current != self.head


def alembic_config(host: Host, *, scoped_tables: set[str] | None = None) -> Config:
    """Version folders of every *installed* module, so a disabled one never breaks history."""
    # quiet: our commands report in their own words, Alembic's "Generating ..." is noise.
    config = Config(cmd_opts=Namespace(quiet=True))
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
    """Run `work` in one transaction; on PostgreSQL, one migrating process at a time.

    On SQLite, foreign keys are off while migrating: batch mode replaces a table by a copy,
    and dropping the original would otherwise cascade into (delete) the rows of every table
    referencing it. The keys are checked before commit instead.
    """
    sqlite = engine.dialect.name == "sqlite"
    async with engine.connect() as connection:
        if sqlite:  # only takes effect outside a transaction, hence before `begin()`
            await connection.run_sync(_sqlite_foreign_keys, "OFF")
        try:
            async with connection.begin():
                if engine.dialect.name == "postgresql":
                    await connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY}
                    )
                result = await connection.run_sync(work)
                if sqlite:
                    await connection.run_sync(_refuse_broken_foreign_keys)
            return result
        finally:
            if sqlite:
                await connection.run_sync(_sqlite_foreign_keys, "ON")


def _sqlite_foreign_keys(connection: Connection, state: str) -> None:
    # Through the DBAPI cursor: a SQLAlchemy statement would open a transaction first.
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(f"PRAGMA foreign_keys={state}")
    cursor.close()


def _refuse_broken_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = ", ".join(sorted({str(row[0]) for row in broken}))
        raise ConfigError(f"migrating would leave broken foreign keys in: {tables}; rolled back")


# --- reading the state ---------------------------------------------------------------------


def applied_revisions(config: Config, connection: Connection) -> set[str]:
    """Every revision in the database: the recorded heads and all they descend from.

    Once a revision that `depends_on` another is applied, Alembic drops the other from
    `alembic_version` (`beta_0001` stands for `alpha_0001` too), so the walk follows
    dependencies as well as parents, which `iterate_revisions` does.
    """
    script = ScriptDirectory.from_config(config)
    heads = MigrationContext.configure(connection).get_current_heads()
    known = {rev.revision for rev in script.walk_revisions()}
    unknown = sorted(set(heads) - known)
    if unknown:
        raise ConfigError(
            f"the database holds revision(s) {', '.join(unknown)} that no installed module"
            " provides (was a module uninstalled?)"
        )
    return {rev.revision for rev in script.revision_map.iterate_revisions(heads, "base") if rev}


def branch_heads(script: ScriptDirectory) -> dict[str, str]:
    """Each branch label and its head; a module whose folder is still empty has no entry."""
    labels = {label for rev in script.walk_revisions() for label in rev.branch_labels}
    return {label: script.get_revision(f"{label}@head").revision for label in sorted(labels)}


def behind_branches(config: Config, connection: Connection, branches: list[str]) -> list[str]:
    """Those of `branches` whose head revision is not applied yet."""
    heads = branch_heads(ScriptDirectory.from_config(config))
    applied = applied_revisions(config, connection)
    return [branch for branch in branches if branch in heads and heads[branch] not in applied]


def branch_status(
    config: Config, connection: Connection, branches: list[str]
) -> list[BranchStatus]:
    script = ScriptDirectory.from_config(config)
    heads = branch_heads(script)
    applied = applied_revisions(config, connection)
    statuses = []
    for branch in branches:
        in_branch = (
            [
                rev.revision
                for rev in script.iterate_revisions(f"{branch}@head", "base")
                if branch in rev.branch_labels
            ]
            if branch in heads
            else []
        )
        current = next((rev for rev in in_branch if rev in applied), None)
        statuses.append(BranchStatus(branch, current, heads.get(branch)))
    return statuses


async def pending(runtime: Runtime, host: Host) -> list[str]:
    """Enabled branches whose head is not applied yet."""
    config = alembic_config(host)
    branches = enabled_branches(host)
    async with runtime.engine.connect() as connection:
        return await connection.run_sync(lambda c: behind_branches(config, c, branches))


async def status(runtime: Runtime, host: Host) -> list[BranchStatus]:
    """Current and head revision of the core and of every enabled module, in order."""
    config = alembic_config(host)
    branches = [CORE_BRANCH, *host.names]
    async with runtime.engine.connect() as connection:
        return await connection.run_sync(lambda c: branch_status(config, c, branches))


# --- moving ---------------------------------------------------------------------------------


async def upgrade(runtime: Runtime, host: Host) -> list[str]:
    """Bring every enabled branch to its head; returns the branches that moved.

    Each branch goes to `<branch>@head`, never `heads`, which would also migrate modules that
    are installed but disabled.
    """
    config = alembic_config(host)
    branches = enabled_branches(host)

    def work(connection: Connection) -> list[str]:
        config.attributes["connection"] = connection
        behind = behind_branches(config, connection, branches)
        for branch in behind:
            command.upgrade(config, f"{branch}@head")
        return behind

    return await run_locked(runtime.engine, work)


async def move_module(
    runtime: Runtime, host: Host, module: str, *, to: str, downgrade: bool = False
) -> list[str]:
    """Upgrade or downgrade one module's branch to `to`; returns every branch that moved.

    `to` is `head`, `base`, a relative step (`-1`, `+1`) or one of the module's revisions.
    Downgrading a module also downgrades revisions of other modules that depend on it.
    """
    if module not in (host.migration_dirs(installed=downgrade)):
        state = "installed" if downgrade else "enabled"
        raise ConfigError(f"{module!r} is not an {state} module with migrations")
    config = alembic_config(host)

    def work(connection: Connection) -> list[str]:
        config.attributes["connection"] = connection
        script = ScriptDirectory.from_config(config)
        target = _branch_target(script, module, to)
        before = applied_revisions(config, connection)
        (command.downgrade if downgrade else command.upgrade)(config, target)
        changed = before ^ applied_revisions(config, connection)
        return sorted({_branch_of(script, rev) for rev in changed})

    return await run_locked(runtime.engine, work)


def _branch_target(script: ScriptDirectory, module: str, to: str) -> str:
    if to in ("head", "base") or re.fullmatch(r"[+-]\d+", to):
        return f"{module}@{to}"
    revision = script.get_revision(to)
    if revision is None or module not in revision.branch_labels:
        raise ConfigError(f"{to!r} is not a revision of the module {module!r}")
    return revision.revision


def _branch_of(script: ScriptDirectory, revision: str) -> str:
    labels = script.get_revision(revision).branch_labels
    return min(labels) if labels else revision


# --- start-up -------------------------------------------------------------------------------


async def prepare_schema(runtime: Runtime, host: Host) -> None:
    """At start-up: migrate the embedded default; elsewhere refuse to run on an old schema."""
    if runtime.settings.should_auto_migrate:
        moved = await upgrade(runtime, host)
        if moved:
            log.info("migrated: %s", ", ".join(moved))
        return
    try:
        behind = await pending(runtime, host)
    except (DBAPIError, OSError) as error:
        log.warning("database unreachable at start-up, readiness will say so: %s", type(error))
        return
    if behind:
        raise SchemaBehind(
            f"the database schema is behind for: {', '.join(behind)}; run `trellis migrate`"
        )
