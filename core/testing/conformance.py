"""One line in a module's tests checks that it keeps the contracts every module keeps.

    def test_notes_keeps_the_module_contracts() -> None:
        assert_conformant("notes")

Checked: metadata present and versioned, requirements installed in versions that fit, every
table created by the module's own migrations (autogenerate finds nothing to add), every route
tagged, with an operation id no other route has and its errors documented as problem+json,
no import of another module's internals, and every hook implementation fully typed. Start-up
itself refuses what two modules share (routes, operation ids, tables): see `core.host`.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from core.app import create_app
from core.errors import PROBLEM_MEDIA_TYPE
from core.host import Host
from core.migrate import upgrade
from core.plugins import (
    ConfigError,
    InstalledModule,
    PluginsConfig,
    discover_modules,
    resolve_enabled,
)
from core.runtime import Runtime
from core.testing.apps import plugins
from core.testing.databases import isolated_settings
from core.testing.hooktypes import untyped_hooks
from core.testing.imports import foreign_imports
from core.testing.schema import differences


def assert_conformant(name: str) -> None:
    """Fail with every broken contract of the installed module `name`, one per line."""
    problems = conformance_problems(name)
    assert not problems, f"module {name!r} breaks its contracts:\n  " + "\n  ".join(problems)


def conformance_problems(name: str) -> list[str]:
    """Every broken contract of the installed module `name` (empty when it keeps them all)."""
    installed = discover_modules()
    if name not in installed:
        return [f"no installed module is called {name!r} (is its entry point installed?)"]
    module = installed[name]
    problems = [
        *_metadata(module),
        *foreign_imports(module, installed),
        *untyped_hooks(module),
    ]
    try:
        modules = _with_requirements(name, installed)
    except ConfigError as error:
        return [*problems, f"requirements: {error}"]
    with tempfile.TemporaryDirectory(prefix="trellis-conformance-") as var:
        app = create_app(isolated_settings(Path(var)), plugins=plugins(modules))
        problems += _routes(app, name)
        problems += asyncio.run(_unmigrated_tables(app, name))
    return problems


def _metadata(module: InstalledModule) -> Iterator[str]:
    if not module.info.description.strip():
        yield "metadata: ModuleInfo has no description"
    if module.distribution is None:
        yield "metadata: not installed from a distribution (no trellis.modules entry point)"


def _with_requirements(name: str, installed: dict[str, InstalledModule]) -> list[str]:
    """`name` and everything it requires, checked as start-up checks them (versions too)."""
    wanted: list[str] = []

    def add(module: str) -> None:
        if module in wanted:
            return
        if module not in installed:
            raise ConfigError(f"{module!r} is required but not installed")
        for required in installed[module].info.required_names:
            add(required)
        wanted.append(module)

    add(name)
    resolve_enabled(PluginsConfig(enabled=tuple(wanted)), installed)
    return wanted


def _routes(app: FastAPI, name: str) -> Iterator[str]:
    host: Host = app.state.host
    paths = app.openapi()["paths"]
    for module, mount in host.mounts():
        if module != name:
            continue
        for route in mount.router.routes:
            if not isinstance(route, APIRoute) or not route.include_in_schema:
                continue
            method = sorted((route.methods or {"GET"}) - {"HEAD"})[0]
            where = f"route {method} {mount.prefix}{route.path}"
            if not route.tags:
                yield f"{where}: no tag (tags=[...] on its APIRouter names it in /docs)"
            operation = paths.get(mount.prefix + route.path_format, {}).get(method.lower(), {})
            yield from _undocumented_errors(where, operation.get("responses", {}))


def _undocumented_errors(where: str, responses: dict[str, Any]) -> Iterator[str]:
    """Each error must say what its body is: problem+json (the core fills that in), or a
    schema of the module's own (readiness answers its 503 with its report)."""
    for status, response in responses.items():
        content = response.get("content", {})
        if status[:1] in ("4", "5") and not any("schema" in media for media in content.values()):
            yield f"{where}: its {status} answer has no body schema ({PROBLEM_MEDIA_TYPE})"


async def _unmigrated_tables(app: FastAPI, name: str) -> list[str]:
    """Migrate the empty database, then ask autogenerate what the module's tables still lack."""
    host: Host = app.state.host
    runtime: Runtime = app.state.runtime
    tables = set(host.table_names().get(name, []))
    try:
        if not tables:
            return []
        if name not in host.migration_dirs():
            return [f"tables {sorted(tables)}: no register_migrations folder creates them"]
        await upgrade(runtime, host)
        async with runtime.engine.connect() as connection:
            found = await connection.run_sync(lambda sync: differences(sync, tables))
        return [f"migrations: autogenerate would still write {change!r}" for change in found]
    finally:
        await runtime.close()
