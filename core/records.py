"""Small typed records that modules hand to the core through hooks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel

if TYPE_CHECKING:
    from core.runtime import Runtime

API_PREFIX = "/api/v1"


class EmptySettings(BaseModel, extra="forbid"):
    """Settings model for a module that takes none: any key is an error."""


@dataclass(frozen=True)
class ModuleInfo:
    """Who a module is: its name in `plugins.toml`, what it needs, how it is configured."""

    name: str
    version: str
    description: str = ""
    requires: tuple[str, ...] = ()
    settings: type[BaseModel] = EmptySettings


@dataclass(frozen=True)
class Mount:
    """An API router and where it is mounted (under `/api/v1` unless said otherwise)."""

    router: APIRouter
    prefix: str = API_PREFIX


@dataclass(frozen=True)
class HealthCheck:
    """A readiness probe: raises (or times out) when the dependency it checks is unusable."""

    name: str
    probe: Callable[[Runtime], Awaitable[None]]
    timeout: float = 2.0


@dataclass(frozen=True)
class Principal:
    """Who is calling, as resolved by the module implementing `principal_resolver`."""

    id: UUID
    email: str
    is_active: bool = True
    is_superuser: bool = False
    session_id: UUID | None = None
    claims: dict[str, object] = field(default_factory=dict)


PrincipalLookup = Callable[["Runtime", str], Awaitable[Principal | None]]


@dataclass(frozen=True)
class PrincipalResolver:
    """Turns a bearer token into a Principal; `token_url` feeds the OpenAPI password flow."""

    resolve: PrincipalLookup
    token_url: str
