"""Hook implementations with every parameter and the return annotated: what mypy can check."""

from __future__ import annotations

import inspect
from collections.abc import Iterator

from core.host import manager_for
from core.plugins import InstalledModule


def untyped_hooks(module: InstalledModule) -> Iterator[str]:
    """One line per hook implementation of `module` missing an annotation."""
    pm = manager_for(module)
    for caller in pm.get_hookcallers(module.plugin) or []:
        for impl in caller.get_hookimpls():
            if impl.plugin is not module.plugin:
                continue
            signature = inspect.signature(impl.function)
            missing = [
                name
                for name, parameter in signature.parameters.items()
                if parameter.annotation is inspect.Parameter.empty and name != "self"
            ]
            if signature.return_annotation is inspect.Signature.empty:
                missing.append("the return value")
            if missing:
                yield f"hook {caller.name}: annotate {', '.join(missing)}"
