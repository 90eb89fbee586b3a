"""The one dependency surface modules import: runtime, session, cache, caller identity.

Every dependency here is `async def`: FastAPI runs a plain `def` dependency in a worker
thread, a hop that costs more than the work on a hot path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, TypeVar
from weakref import WeakKeyDictionary

from fastapi import Depends, Request, Response
from fastapi.security import OAuth2PasswordBearer
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from core.cache import Cache
from core.db import transaction
from core.errors import ProblemError
from core.inventory import ModuleReport, module_inventory
from core.ratelimit import Rate, caller_identity, consume_as
from core.realtime.protocol import offered_token
from core.records import EVERY_RIGHT, HealthCheck, Principal, PrincipalResolver
from core.runtime import Runtime
from core.settings import Settings

SettingsT = TypeVar("SettingsT", bound=BaseModel)

# The token URL is a placeholder: create_app() writes the authenticating module's own URL
# into the OpenAPI document, so the core never names that module.
bearer_token = OAuth2PasswordBearer(tokenUrl="token", scheme_name="OAuth2", auto_error=False)


class NotAuthenticated(ProblemError):
    status = 401
    title = "Not authenticated"


class Forbidden(ProblemError):
    status = 403
    title = "Forbidden"


async def get_runtime(connection: HTTPConnection) -> Runtime:
    """A request's or a WebSocket's: `Request` alone would leave socket routes without."""
    runtime: Runtime = connection.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_settings(runtime: RuntimeDep) -> Settings:
    return runtime.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_cache(runtime: RuntimeDep) -> Cache:
    return runtime.cache


CacheDep = Annotated[Cache, Depends(get_cache)]


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request, runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed before the response is sent, else rolled back.

    Safe methods get a read session, which on SQLite does not queue behind writers.
    """
    sessions = runtime.read_sessions if request.method in READ_METHODS else runtime.sessions
    async with transaction(sessions) as session:
        yield session


# scope="function": commit when the handler returns, before the response is sent, so a client
# never sees success for work that did not commit (and never reads ahead of the commit).
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def module_settings(model: type[SettingsT]) -> Callable[[Runtime], Awaitable[SettingsT]]:
    """A dependency returning the validated `[modules.<name>]` settings for `model`."""

    async def dependency(runtime: RuntimeDep) -> SettingsT:
        return runtime.settings_for(model)

    return dependency


def _challenge(detail: str) -> NotAuthenticated:
    return NotAuthenticated(detail, headers={"WWW-Authenticate": "Bearer"})


BearerToken = Annotated[str | None, Depends(bearer_token)]


async def resolve_token(connection: HTTPConnection, token: str) -> Principal | None:
    """Resolve once per request or handshake: the rate limit and the route may both ask."""
    # `connection.state` is this dict; asking it for a missing name costs an exception.
    state = connection.scope.setdefault("state", {})
    if "principal" in state:
        cached: Principal | None = state["principal"]
        return cached
    resolver: PrincipalResolver | None = connection.app.state.principal_resolver
    principal = await resolver.resolve(token) if resolver else None
    state["principal"] = principal
    return principal


async def get_current_principal(request: Request, token: BearerToken) -> Principal:
    """The authenticated caller, resolved by whichever module implements `principal_resolver`."""
    if not token:
        raise _challenge("Missing bearer token.")
    principal = await resolve_token(request, token)
    if principal is None:
        raise _challenge("The access token is invalid, expired or revoked.")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_current_principal)]


# The right each `require(...)` dependency checks, so start-up can verify that every right a
# route requires is a permission some enabled module declares (`core.permissions`).
_REQUIRED: WeakKeyDictionary[Callable[..., object], str] = WeakKeyDictionary()


def require(right: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency returning the caller when they hold `right`, else 403.

    `Annotated[Principal, Depends(require("notes:moderate"))]` in a handler's signature.
    `right` must be a permission an enabled module declares (`register_permissions`), or
    `EVERY_RIGHT`; start-up stops on a route requiring anything else.
    """

    async def holder(principal: CurrentPrincipal) -> Principal:
        if not principal.may(right):
            needs = "administrator rights" if right == EVERY_RIGHT else f"the permission {right!r}"
            raise Forbidden(f"This action needs {needs}.")
        return principal

    _REQUIRED[holder] = right
    return holder


def required_right(dependency: Callable[..., object] | None) -> str | None:
    """The right `dependency` checks when `require(...)` made it, else None."""
    if dependency is None:
        return None
    try:
        return _REQUIRED.get(dependency)
    except TypeError:  # not weakly referenceable, so not one of ours
        return None


# The caller holding every right: an administrator, however the authenticating module says so.
CurrentAdministrator = Annotated[Principal, Depends(require(EVERY_RIGHT))]


async def get_readiness_checks(request: Request) -> tuple[HealthCheck, ...]:
    """The core's readiness checks and every enabled module's, collected at start-up."""
    checks: tuple[HealthCheck, ...] = tuple(request.app.state.readiness_checks)
    return checks


ReadinessChecks = Annotated[tuple[HealthCheck, ...], Depends(get_readiness_checks)]


async def get_module_inventory(request: Request) -> list[ModuleReport]:
    """The enabled modules as they run, with each one's migration state read just now."""
    described: tuple[ModuleReport, ...] = request.app.state.module_reports
    return await module_inventory(request.app.state.host, request.app.state.runtime, described)


ModuleInventory = Annotated[list[ModuleReport], Depends(get_module_inventory)]


async def api_rate_limit(connection: HTTPConnection, response: Response) -> None:
    """The general API limit, per user when the token is valid, else per client address.

    It reads the Authorization header (a WebSocket handshake: the `bearer.` subprotocol)
    itself rather than through `bearer_token`, so routes that need no sign-in are not
    documented as needing one. A handshake counts as one request. The count rides on the
    resolver's cache read (`consume_as`): one round trip for both. It takes the runtime from
    the app rather than through `RuntimeDep`: FastAPI solves a dependency's own dependencies
    on every request, cached or not, and this one runs on every API request.
    """
    runtime: Runtime = connection.app.state.runtime
    if runtime.settings.rate_limit_disabled:
        return
    if connection.scope["type"] == "websocket":
        scheme, token = "bearer", offered_token(connection.scope) or ""
    else:
        scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    client = connection.client.host if connection.client else "unknown"

    async def identify() -> str:
        principal = None
        if scheme.lower() == "bearer" and token:
            principal = await resolve_token(connection, token)
        return caller_identity(principal.id) if principal else f"ip:{client}"

    rate: Rate = connection.app.state.api_rate
    headers = await consume_as(runtime.cache, bucket="api", rate=rate, identify=identify)
    response.headers.update(headers)
