"""Small typed records that modules hand to the core through hooks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from uuid import UUID

from fastapi import APIRouter
from packaging.requirements import Requirement
from pydantic import BaseModel

API_PREFIX = "/api/v1"
# The right that holds every other: what an administrator's principal carries.
EVERY_RIGHT = "*"


class EmptySettings(BaseModel, extra="forbid"):
    """Settings model for a module that takes none: any key is an error."""


@dataclass(frozen=True)
class ModuleInfo:
    """Who a module is: its name in `plugins.toml`, what it needs, how it is configured."""

    name: str
    version: str  # PEP 440, e.g. "1.0.2"
    description: str = ""
    requires: tuple[str, ...] = ()  # module names, each with an optional range: "users>=1.2,<2"
    settings: type[BaseModel] = EmptySettings
    core: str = ""  # the Trellis core versions supported, a PEP 440 specifier: ">=0.1,<0.2"

    @property
    def requirements(self) -> tuple[Requirement, ...]:
        """`requires` parsed; discovery has already refused a module whose entries do not parse."""
        return tuple(Requirement(entry) for entry in self.requires)

    @property
    def required_names(self) -> tuple[str, ...]:
        """The names of the required modules, without their version ranges."""
        return tuple(requirement.name for requirement in self.requirements)


@dataclass(frozen=True)
class Mount:
    """An API router and where it is mounted (under `/api/v1` unless said otherwise)."""

    router: APIRouter
    prefix: str = API_PREFIX


@dataclass(frozen=True)
class HealthCheck:
    """A readiness probe: raises (or times out) when the dependency it checks is unusable."""

    name: str
    probe: Callable[[], Awaitable[None]]
    timeout: float = 2.0


@dataclass(frozen=True)
class Permission:
    """A right a module declares (`register_permissions`) and checks (`require(name)`).

    Named after the declaring module, `"<module>:<verb>"` (`"notes:moderate"`); start-up
    refuses any other name. Operators grant permissions to users through roles.
    """

    name: str
    description: str

    @property
    def module(self) -> str:
        """The declaring module: what comes before the colon."""
        return self.name.partition(":")[0]


@dataclass(frozen=True)
class Principal:
    """Who is calling: an id, the session the token belongs to, and the rights it carries.

    Rights are the permissions modules declare (`"notes:moderate"`); `EVERY_RIGHT` holds them
    all.
    What else a caller is (an e-mail, a name) belongs to the module that owns it.
    """

    id: UUID
    session_id: UUID | None = None
    rights: frozenset[str] = frozenset()
    claims: Mapping[str, object] = field(default_factory=dict)

    def may(self, right: str) -> bool:
        """Whether the caller holds `right` (or every right)."""
        return right in self.rights or EVERY_RIGHT in self.rights


@dataclass(frozen=True)
class PrincipalResolver:
    """Turns a bearer token into a Principal; `token_url` feeds the OpenAPI password flow."""

    resolve: Callable[[str], Awaitable[Principal | None]]
    token_url: str
