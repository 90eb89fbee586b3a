"""Every right a route requires must be a permission some enabled module declares.

A `require("notes:moderat")` with a typo, or a permission of a module that is not enabled,
would otherwise answer 403 to everyone, silently. The app factory reads the right of each
`require(...)` dependency (`core.deps.required_right`) from every module route's dependency
tree, the route's and its router's included, and stops start-up on an undeclared one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from core.deps import required_right
from core.host import Host
from core.plugins import ConfigError
from core.records import EVERY_RIGHT, Permission


class UndeclaredPermission(ConfigError):
    """A route requires a permission no enabled module declares."""


def refuse_undeclared_rights(host: Host, declared: Mapping[str, Permission]) -> None:
    """Raise UndeclaredPermission naming the first route and module requiring an unknown right."""
    for module, mount in host.mounts():
        for route in mount.router.routes:
            if not isinstance(route, APIRoute):
                continue
            for right in rights_required(route.dependant):
                if right != EVERY_RIGHT and right not in declared:
                    method = min((route.methods or {"GET"}) - {"HEAD"} or {"GET"})
                    owner = right.partition(":")[0]
                    hint = (
                        f"is the module {owner!r} enabled, and does it declare it?"
                        if owner != module
                        else "declare it in register_permissions"
                    )
                    raise UndeclaredPermission(
                        f"the route {method} {mount.prefix}{route.path} of {host.label(module)} "
                        f"requires the permission {right!r}, which no enabled module declares "
                        f"({hint})"
                    )


def rights_required(dependant: Dependant) -> Iterator[str]:
    """The rights of every `require(...)` in a dependency tree, depth first."""
    for dependency in dependant.dependencies:
        right = required_right(dependency.call)
        if right is not None:
            yield right
        yield from rights_required(dependency)
