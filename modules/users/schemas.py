"""Request and response shapes. Bodies forbid unknown keys, so privileged fields never slip in."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, field_validator


def normalise_email(value: str) -> str:
    """One spelling per address, so the unique index also rejects `Bob@x.org` after `bob@x.org`."""
    return value.strip().lower()


def has_unstorable(value: str) -> bool:
    """Control characters or lone surrogates: PostgreSQL stores neither NUL nor the latter."""
    return any(unicodedata.category(char) in ("Cc", "Cs") for char in value)


def plain_text(value: str) -> str:
    if has_unstorable(value):
        raise ValueError("must not contain control characters or invalid Unicode")
    return value


def display_name(value: str) -> str:
    """Trimmed, and with something to show: blanks and invisible format characters are not."""
    value = plain_text(value).strip()
    if all(
        unicodedata.category(char)[0] == "Z" or unicodedata.category(char) == "Cf" for char in value
    ):
        raise ValueError("must contain a visible character")
    return value


Email = Annotated[EmailStr, AfterValidator(normalise_email)]
FullName = Annotated[str, Field(min_length=1, max_length=255), AfterValidator(display_name)]
UserSearch = Annotated[str, Field(max_length=320), AfterValidator(plain_text)]
# A hard cap only; the configured policy (8..128 by default) is checked by the service.
Password = Annotated[str, Field(max_length=4096)]


class UserAccount(BaseModel):
    """A user as other modules see it: never the password hash. Part of the public surface."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: UUID
    email: str
    full_name: str | None
    is_active: bool
    is_superuser: bool
    is_verified: bool
    created_at: datetime
    updated_at: datetime


class UserPublic(UserAccount):
    """A user as the API shows it."""


class UsersPublic(BaseModel):
    items: list[UserPublic]
    total: int
    limit: int
    offset: int


class UserCreate(BaseModel, extra="forbid"):
    email: Email
    password: Password
    full_name: FullName | None = None


class UserUpdateMe(BaseModel, extra="forbid"):
    """What users may change about themselves; `null` clears the name, never the email."""

    email: Email | None = None
    full_name: FullName | None = None

    @field_validator("email", mode="after")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Defaults are not validated, so this only fires on an explicit `null`.
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class UserUpdate(UserUpdateMe):
    """What administrators may change about anyone."""

    is_active: bool | None = None
    is_superuser: bool | None = None
    is_verified: bool | None = None

    @field_validator("is_active", "is_superuser", "is_verified", mode="after")
    @classmethod
    def _flag_not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class PasswordChange(BaseModel, extra="forbid"):
    current_password: Password
    new_password: Password
