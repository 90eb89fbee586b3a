"""The core's generic hooks, grouped by lifecycle phase: discovery, assembly, identity, lifecycle.

Implementations are marked with `core.hookimpl`. The core calls each hook through
`core.host.Host`, which orders results by module (plugins.toml order, dependencies first),
never by pluggy's registration order. A module's own events are not here: the module that
publishes them declares them in its own `hookspecs.py` (see `register_hookspecs`).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING
from uuid import UUID

import pluggy

if TYPE_CHECKING:
    import typer
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlmodel import SQLModel

    from core.records import HealthCheck, ModuleInfo, Mount, Permission, PrincipalResolver
    from core.runtime import Runtime
    from core.tasks.spec import Task

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


@hookspec
def register_hookspecs() -> ModuleType:  # type: ignore[empty-body]
    """Return the Python module holding the hook specs (the events) this module publishes.

    Asked of every installed module, enabled or not, so a subscriber to the events of a
    disabled module still loads (its implementations are simply never called). Mark each spec
    with `core.hookspec`; publish through a typed facade of your own (`runtime.publish`).

    Example::

        @hookimpl
        def register_hookspecs() -> ModuleType:
            from acme_notes import hookspecs
            return hookspecs
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
def register_permissions() -> list[Permission]:  # type: ignore[empty-body]
    """Return the permissions the module checks, each named `"<module>:<verb>"` after it.

    Routes guard themselves with `require(name)`; a route requiring a permission no enabled
    module declares stops start-up, and so do a name declared twice and a name carrying
    another module's prefix. A disabled module's permissions leave the checks (its routes are
    gone too), while the grants of them stay stored and count again once it is re-enabled.

    Example::

        @hookimpl
        def register_permissions() -> list[Permission]:
            return [Permission("blog:publish", "Publish anyone's draft.")]
    """


@hookspec
def register_health_checks(runtime: Runtime) -> list[HealthCheck]:  # type: ignore[empty-body]
    """Return readiness probes run by `GET /health/ready`, each bounded by its own timeout.

    Called once at start-up. A name must be unique across the core's checks (`database`,
    `cache`, `migrations`) and every module's, or start-up stops.

    Example::

        @hookimpl
        def register_health_checks(runtime: Runtime) -> list[HealthCheck]:
            return [HealthCheck("search-index", probe=partial(ping_index, runtime), timeout=1.0)]
    """


@hookspec
def register_tasks() -> list[Task]:  # type: ignore[empty-body]
    """Return the module's background tasks, each named `"<module>.<verb>"` after it.

    Enqueue one with `await runtime.tasks.enqueue(session, "<module>.<verb>", **arguments)`:
    it runs once that transaction commits, on a Celery worker with `BROKER_URL`, else in the
    API process. A name declared twice, or carrying another module's prefix, stops start-up.

    Example::

        @hookimpl
        def register_tasks() -> list[Task]:
            return [Task("blog.digest", run=send_digest, every=timedelta(days=1))]
    """


@hookspec
def register_commands() -> list[typer.Typer]:  # type: ignore[empty-body]
    """Return Typer apps added as sub-commands of `trellis` (each needs a `name`).

    Example::

        @hookimpl
        def register_commands() -> list[typer.Typer]:
            return [typer.Typer(name="blog")]
    """


@hookspec
def principal_resolver(runtime: Runtime) -> PrincipalResolver:  # type: ignore[empty-body]
    """Return how a bearer token becomes the calling `Principal`; called once at start-up.

    The core's `CurrentPrincipal` dependency uses it, so modules never import the module that
    authenticates. At most one enabled module may implement it: a second stops start-up.
    Without any implementation every protected route answers 401.

    Example::

        @hookimpl
        def principal_resolver(runtime: Runtime) -> PrincipalResolver:
            return PrincipalResolver(
                resolve=partial(principal_from_token, runtime), token_url="/api/v1/auth/token"
            )
    """


@hookspec
async def rights_of(  # type: ignore[empty-body]
    runtime: Runtime, session: AsyncSession, principal_ids: frozenset[UUID]
) -> Mapping[UUID, frozenset[str]]:
    """Return the rights this module grants each of `principal_ids` (absent ids: none).

    Every enabled module's answers are merged (`runtime.rights_of`). The authenticating
    module asks when it loads a session and caches the answer with it: a module whose grants
    change must say so through an event that module subscribes to. Read through `session`,
    the caller's transaction.

    Example::

        @hookimpl
        async def rights_of(runtime, session, principal_ids):
            owners = await team_owners(session, principal_ids)
            return {owner: frozenset({"teams:manage"}) for owner in owners}
    """


@hookspec
async def roles_of(  # type: ignore[empty-body]
    runtime: Runtime, session: AsyncSession, principal_id: UUID
) -> list[str]:
    """Return the names of the roles (named sets of rights) this module gives the principal.

    Merged and sorted (`runtime.roles_of`), for showing the caller what they hold
    (`GET /api/v1/users/me`); what a principal may do is `rights_of`, never this.

    Example::

        @hookimpl
        async def roles_of(runtime, session, principal_id):
            return await role_names_of(session, principal_id)
    """


@hookspec
async def principal_claims(  # type: ignore[empty-body]
    runtime: Runtime, session: AsyncSession, principal_ids: frozenset[UUID]
) -> Mapping[UUID, Mapping[str, object]]:
    """Return what this module says about each of `principal_ids`, to travel in `Principal.claims`.

    Merged (`runtime.claims_of`) and cached by the authenticating module with each session,
    so a handler shows them without a database read: when `principal.claims` lacks your key
    (a snapshot being rewritten), read the database instead. Key the answer by your module's
    name; values must be JSON. A module whose claims change must say so through an event
    the authenticating module subscribes to (as for `rights_of`).

    Example::

        @hookimpl
        async def principal_claims(runtime, session, principal_ids):
            names = await display_names(session, principal_ids)
            return {pid: {"profiles": {"name": name}} for pid, name in names.items()}
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
