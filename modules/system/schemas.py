"""Response shapes of the system endpoints, read from the core's `ModuleReport`s."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class RoutePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    method: str
    path: str


class MigrationsPublic(BaseModel):
    """The module's head revision, the one the database holds, and whether it lags."""

    model_config = ConfigDict(from_attributes=True)

    head: str | None
    current: str | None
    behind: bool


class ModulePublic(BaseModel):
    """One enabled module; `migrations` is null for a module without migrations."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    version: str
    distribution: str | None
    description: str
    requires: list[str]
    routes: list[RoutePublic]
    tables: list[str]
    publishes: list[str]
    subscribes: list[str]
    permissions: list[str]
    migrations: MigrationsPublic | None


class ModulesPublic(BaseModel):
    items: list[ModulePublic]
