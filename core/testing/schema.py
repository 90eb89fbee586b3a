"""What autogenerate would still write for some tables: nothing, when migrations agree."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection
from sqlmodel import SQLModel


def differences(connection: Connection, tables: set[str]) -> list[Any]:
    """Autogenerate's diff between the database and the models, scoped to `tables`."""

    def scoped(obj: object, name: str | None, type_: str, *_: object) -> bool:
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table is None or table in tables

    context = MigrationContext.configure(
        connection, opts={"include_object": scoped, "compare_type": True}
    )
    found: list[Any] = compare_metadata(context, SQLModel.metadata)
    return found
