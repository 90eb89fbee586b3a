"""Every hook a Trellis module may implement, grouped by lifecycle phase.

Implementations are marked with `core.hookimpl`. The core calls each hook through
`core.host.Hooks`, which orders results by module (plugins.toml order, dependencies first),
never by pluggy's registration order.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

import pluggy

if TYPE_CHECKING:
    import typer
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlmodel import SQLModel

    from core.records import HealthCheck, ModuleInfo, Mount, PrincipalResolver
    from core.runtime import Runtime

PROJECT = "trellis"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --- Discovery -------------------------------------------------------------------------------


@hookspec
def module_info() -> ModuleInfo:  # type: ignore[empty-body]
    """Describe the module: name, version, description, required modules, settings model.

    Called once at start-up for every installed module, enabled or not, so that
    `plugins.toml` can be validated and `trellis modules` can list what exists.

    Example::

        @hookimpl
        def module_info() -> ModuleInfo:
            return ModuleInfo(name="blog", version="1.0", requires=("users",), settings=BlogConfig)
    """


# --- Assembly --------------------------------------------------------------------------------


@hookspec
def register_models() -> list[type[SQLModel]]:  # type: ignore[empty-body]
    """Return the module's `table=True` SQLModel classes.

    Used to list a module's tables and to scope `trellis migrations new` autogenerate to them;
    tables are only ever created by the module's migrations.

    Example::

        @hookimpl
        def register_models() -> list[type[SQLModel]]:
            return [Post, Comment]
    """


@hookspec
def register_routers() -> list[Mount]:  # type: ignore[empty-body]
    """Return the module's API routers, each wrapped in a `Mount` (default prefix `/api/v1`).

    Example::

        @hookimpl
        def register_routers() -> list[Mount]:
            return [Mount(router)]
    """


@hookspec
def register_migrations() -> Path:  # type: ignore[empty-body]
    """Return the folder holding the module's Alembic revisions (its own branch).

    The first revision carries `branch_labels = ("<module>",)` and `depends_on` the core base.

    Example::

        @hookimpl
        def register_migrations() -> Path:
            return Path(__file__).parent / "migrations"
    """


@hookspec
def register_health_checks() -> list[HealthCheck]:  # type: ignore[empty-body]
    """Return readiness probes run by `GET /health/ready`, each bounded by its own timeout.

    Example::

        @hookimpl
        def register_health_checks() -> list[HealthCheck]:
            return [HealthCheck("search-index", probe=ping_index, timeout=1.0)]
    """


@hookspec
def register_commands() -> list[typer.Typer]:  # type: ignore[empty-body]
    """Return Typer apps added as sub-commands of `trellis` (each needs a `name`).

    Example::

        @hookimpl
        def register_commands() -> list[typer.Typer]:
            return [typer.Typer(name="blog")]
    """


@hookspec(firstresult=True)
def principal_resolver() -> PrincipalResolver | None:
    """Return how a bearer token becomes the calling `Principal`. Stops at first non-None result.

    The core's `CurrentPrincipal` dependency uses it, so modules never import the module that
    authenticates. Without any implementation every protected route answers 401.

    Example::

        @hookimpl
        def principal_resolver() -> PrincipalResolver:
            return PrincipalResolver(resolve=principal_from_token, token_url="/api/v1/auth/token")
    """


# --- Lifecycle -------------------------------------------------------------------------------


@hookspec
def lifespan(runtime: Runtime) -> AbstractAsyncContextManager[None] | None:
    """Return an async context manager entered at start-up and left at shutdown.

    Modules are entered in dependency order and left in reverse.

    Example::

        @hookimpl
        def lifespan(runtime: Runtime) -> AbstractAsyncContextManager[None]:
            return warm_caches(runtime)  # an @asynccontextmanager
    """


# --- Domain events ---------------------------------------------------------------------------
# Events run inside the transaction of the request that caused them: an implementation
# receives that session, may write through it, and must not commit. They are coroutines,
# awaited one module after the other in dependency order.


@hookspec
async def user_created(runtime: Runtime, session: AsyncSession, user_id: UUID) -> None:
    """A user account was created.

    Example::

        @hookimpl
        async def user_created(runtime, session, user_id):
            await send_welcome(runtime, user_id)
    """


@hookspec
async def user_updated(
    runtime: Runtime, session: AsyncSession, user_id: UUID, changed: frozenset[str]
) -> None:
    """A user's fields changed; `changed` names them (e.g. `{"email", "is_active"}`).

    Example::

        @hookimpl
        async def user_updated(runtime, session, user_id, changed):
            if "is_active" in changed:
                await revoke_sessions(runtime, session, user_id)
    """


@hookspec
async def user_deleted(runtime: Runtime, session: AsyncSession, user_id: UUID) -> None:
    """A user account is being deleted (the row still exists inside this transaction).

    Example::

        @hookimpl
        async def user_deleted(runtime, session, user_id):
            await delete_posts_of(session, user_id)
    """


@hookspec
async def user_password_changed(runtime: Runtime, session: AsyncSession, user_id: UUID) -> None:
    """A user's password changed (by themself, an administrator, or a reset).

    Example::

        @hookimpl
        async def user_password_changed(runtime, session, user_id):
            await revoke_sessions(runtime, session, user_id)
    """
