"""The roles module's own permission, and role permissions checked against the declared ones."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from core import Permission, Runtime
from modules.roles.exceptions import UnknownPermission
from modules.roles.guard import MANAGE

PERMISSIONS = [
    Permission(
        MANAGE,
        "Create, change and delete roles, and grant and take them back; whoever holds it "
        "can give anyone (themselves included) any permission.",
    )
]


def checked(runtime: Runtime, names: Sequence[str]) -> set[str]:
    """`names` as a set, or UnknownPermission for any an enabled module does not declare."""
    unknown = [(index, name) for index, name in enumerate(names) if name not in runtime.permissions]
    if unknown:
        raise UnknownPermission(unknown)
    return set(names)


def declared(runtime: Runtime, names: Iterable[str]) -> list[str]:
    """Those of `names` an enabled module declares, sorted: the others are dormant."""
    return sorted(name for name in names if name in runtime.permissions)
