"""The users branch creates exactly what the models describe, on both backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect
from sqlmodel import SQLModel

from core.host import Host
from core.migrate import alembic_config
from core.runtime import Runtime
from core.testing import plugins
from modules.users.models import User

TABLE = User.__tablename__


def _include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table == TABLE


async def test_migrated_schema_matches_the_model(runtime: Runtime) -> None:
    def diff(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts={"include_object": _include, "compare_type": True}
        )
        return list(compare_metadata(context, SQLModel.metadata))

    def email_indexes(connection: Connection) -> list[tuple[list[Any], bool]]:
        found = inspect(connection).get_indexes(TABLE)
        return [(index["column_names"], bool(index["unique"])) for index in found]

    async with runtime.engine.connect() as connection:
        assert await connection.run_sync(diff) == []
        # Uniqueness of the normalised email is the database's rule, not a read-then-write.
        assert await connection.run_sync(email_indexes) == [(["email"], True)]


def test_the_branch_hangs_off_the_core_base() -> None:
    host = Host.load(Path("unused.toml"), config=plugins(["users"]))
    script = ScriptDirectory.from_config(alembic_config(host))
    first = script.get_revision("users_0001")
    assert first is not None
    assert first.branch_labels == {"users"}
    assert first.dependencies == "core_0001"
    assert script.get_revision("users@head") is not None
