"""Foreign keys from a disabled module's tables into the tables of enabled modules.

Disabling a module stops its hooks but keeps its tables. Rows it still holds go on referring
to rows of the modules left enabled, and the clean-up it did on their events (`user_deleted`)
no longer runs, so deleting those rows fails (a 409). Found from the models alone, without a
database, so `trellis config check` and start-up can say so before a user runs into it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import pluggy
from sqlalchemy import Table, inspect
from sqlmodel import SQLModel

from core.plugins import InstalledModule, new_plugin_manager

if TYPE_CHECKING:
    from core.host import Host

log = logging.getLogger("trellis")
# The database removes or detaches the referring rows itself, so nothing is blocked.
NON_BLOCKING = frozenset({"CASCADE", "SET NULL"})


def dangling_references(
    installed: Mapping[str, InstalledModule], enabled: Iterable[str]
) -> list[str]:
    """One line per (disabled module's table, enabled module's table) it blocks deletes in.

    Each says what to do about it. Foreign keys declared `ondelete="CASCADE"` or `"SET NULL"`
    block nothing and are left out, as are references into tables of disabled modules.
    """
    enabled = [name for name in enabled if name in installed]
    owners = {table.fullname: name for name in enabled for table in _tables(installed[name])}
    lines = []
    for name in sorted(set(installed) - set(enabled)):
        module = installed[name]
        for table in sorted(_tables(module), key=lambda table: table.fullname):
            targets = {
                target
                for key in table.foreign_keys
                if (key.ondelete or "").upper() not in NON_BLOCKING
                and (target := key.target_fullname.rpartition(".")[0]) in owners
            }
            lines += [
                f"module {name!r} is disabled but its table {table.fullname} refers to {target}"
                f" (module {owners[target]!r}): deleting a {target} row that {table.fullname}"
                f" still refers to fails with 409; enable {name!r} again, or {_drop(module)}"
                for target in sorted(targets)
            ]
    return lines


def warn_dangling_references(host: Host) -> None:
    """Log each dangling reference at start-up, where operators look after changing modules."""
    for line in dangling_references(host.installed, host.names):
        log.warning("%s", line)


def _tables(module: InstalledModule) -> list[Table]:
    """The module's tables, asked of its own hooks, so a disabled module is read too."""
    models: list[list[type[SQLModel]]] = _ask(module).hook.register_models()
    mapped = [inspect(model).local_table for found in models for model in found]
    return [table for table in mapped if isinstance(table, Table)]


def _drop(module: InstalledModule) -> str:
    """How to remove the module's tables: downgrading its branch works while it is disabled."""
    name = module.info.name
    if _ask(module).hook.register_migrations():
        return f"drop its tables with `trellis migrate --module {name} --downgrade --to base`"
    return "drop its tables"


def _ask(module: InstalledModule) -> pluggy.PluginManager:
    """A plugin manager holding only this module, enabled or not."""
    pm = new_plugin_manager()
    pm.register(module.plugin)
    return pm
