"""Alembic environment, driven by `core.migrate` with a live connection in `config.attributes`.

Run migrations through `trellis migrate`, not the bare `alembic` command: the set of modules,
their version folders and their tables come from the plugin host.
"""

from __future__ import annotations

from typing import Any

from alembic import context

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise SystemExit("Run migrations with `trellis migrate` (see docs/migrations.md).")

target_metadata = config.attributes.get("target_metadata")
scoped_tables: set[str] | None = config.attributes.get("scoped_tables")


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Keep autogenerate to the tables of the module being revised."""
    if scoped_tables is None:
        return True
    if type_ == "table":
        return name in scoped_tables
    table = getattr(obj, "table", None)
    return table is None or table.name in scoped_tables


context.configure(
    connection=connection,
    target_metadata=target_metadata,
    include_object=include_object,
    render_as_batch=True,  # SQLite can only ALTER through table copies
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
