"""Request and response shapes of roles and permissions. Bodies forbid unknown keys."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

# Lower case, so a role is one name in URLs, the CLI and the database alike.
RoleName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_-]*$")]
# Checked against the declared permissions by the service (422 naming the index).
PermissionName = Annotated[str, Field(min_length=1, max_length=100)]


def _printable(value: str) -> str:
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in value):
        raise ValueError("must not contain control characters or invalid Unicode")
    return value


Description = Annotated[str, Field(max_length=500), AfterValidator(_printable)]
Permissions = Annotated[list[PermissionName], Field(max_length=200)]


class RoleCreate(BaseModel, extra="forbid"):
    name: RoleName
    description: Description = ""
    permissions: Permissions = Field(default_factory=list)


class RoleUpdate(BaseModel, extra="forbid"):
    """Every field optional; `permissions` replaces the role's (declared) permissions."""

    # Omitted means "leave as is"; `null` is refused, so the document does not offer it.
    description: Description | SkipJsonSchema[None] = None
    permissions: Permissions | SkipJsonSchema[None] = None

    @field_validator("description", "permissions", mode="after")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Defaults are not validated, so this only fires on an explicit `null`.
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class RolePublic(BaseModel):
    """A role; `permissions` lists those of enabled modules (a disabled one's wait, kept)."""

    name: str
    description: str
    permissions: list[str]


class RolesPublic(BaseModel):
    items: list[RolePublic]
    total: int
    limit: int
    offset: int


class PermissionPublic(BaseModel):
    """A permission an enabled module declares, `"<module>:<verb>"`."""

    name: str
    module: str
    description: str


class PermissionsPublic(BaseModel):
    items: list[PermissionPublic]
