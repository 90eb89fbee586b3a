"""Request and response shapes. Bodies forbid unknown keys, so privileged fields never slip in."""

from __future__ import annotations

import re
import sys
import unicodedata
from datetime import datetime
from functools import cache
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from core import FromSettings
from modules.users.config import UsersConfig


def normalise_email(value: str) -> str:
    """One spelling per address, so the unique index also rejects `Bob@x.org` after `bob@x.org`."""
    return value.strip().lower()


# Unicode's control characters (category Cc: these 65, fixed by its stability policy). The
# OpenAPI document states the rule with this pattern; the validators below apply the same one.
_CONTROL = r"\u0000-\u001f\u007f-\u009f"
NO_CONTROL_CHARACTERS = f"^[^{_CONTROL}]*$"
# ... and lone surrogates (Cs), which no UTF-8 text and so no JSON schema pattern can carry.
_UNSTORABLE = re.compile(f"[{_CONTROL}\\ud800-\\udfff]")


def has_unstorable(value: str) -> bool:
    """Control characters or lone surrogates: PostgreSQL stores neither NUL nor the latter."""
    return _UNSTORABLE.search(value) is not None


def plain_text(value: str) -> str:
    if has_unstorable(value):
        raise ValueError("must not contain control characters or invalid Unicode")
    return value


def invisible(char: str) -> bool:
    """A blank (Unicode Z*) or an invisible format character (Cf): nothing a reader sees."""
    category = unicodedata.category(char)
    return category[0] == "Z" or category == "Cf"


def display_name(value: str) -> str:
    """Trimmed, and with something to show: blanks and invisible format characters are not."""
    value = plain_text(value).strip()
    if all(invisible(char) for char in value):
        raise ValueError("must contain a visible character")
    return value


@cache
def display_name_pattern() -> str:
    """`display_name`'s rule as a JSON Schema pattern: no control character, one visible.

    Built from `invisible` over every code point (a fifth of a second, once per process, when
    the first OpenAPI document is generated). Astral characters stand in the class as
    themselves: ECMA-262 and Python spell their escapes differently.
    """
    chars = [code for code in range(sys.maxunicode + 1) if invisible(chr(code))]
    spans: list[list[int]] = []
    for code in chars:
        if spans and spans[-1][1] == code - 1:
            spans[-1][1] = code
        else:
            spans.append([code, code])
    hidden = "".join(_char(low) + (f"-{_char(high)}" if high > low else "") for low, high in spans)
    return f"^[^{_CONTROL}]*[^{_CONTROL}{hidden}][^{_CONTROL}]*$"


def _char(code: int) -> str:
    return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)


def _document_display_name(schema: dict[str, Any]) -> None:
    schema["pattern"] = display_name_pattern()


Email = Annotated[EmailStr, AfterValidator(normalise_email)]
FullName = Annotated[
    str,
    Field(min_length=1, max_length=255, json_schema_extra=_document_display_name),
    AfterValidator(display_name),
]
UserSearch = Annotated[
    str,
    Field(max_length=320, json_schema_extra={"pattern": NO_CONTROL_CHARACTERS}),
    AfterValidator(plain_text),
]
# A password checked against its hash, perhaps chosen under an older policy: a hard cap only.
Password = Annotated[str, Field(max_length=4096)]
# A password being chosen. The service checks the configured policy (`check_policy`); the
# OpenAPI document states the same settings, so it reads `minLength: 8, maxLength: 128` by default.
NewPassword = Annotated[
    str,
    Field(max_length=4096, json_schema_extra={"pattern": NO_CONTROL_CHARACTERS}),
    FromSettings(UsersConfig, minLength="password_min_length", maxLength="password_max_length"),
]


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
    password: NewPassword
    full_name: FullName | None = None


class UserUpdateMe(BaseModel, extra="forbid"):
    """What users may change about themselves; `null` clears the name, never the email."""

    # Optional but not nullable: the document leaves `null` out, as the validator refuses it.
    email: Email | SkipJsonSchema[None] = None
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

    is_active: bool | SkipJsonSchema[None] = None
    is_superuser: bool | SkipJsonSchema[None] = None
    is_verified: bool | SkipJsonSchema[None] = None

    @field_validator("is_active", "is_superuser", "is_verified", mode="after")
    @classmethod
    def _flag_not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class PasswordChange(BaseModel, extra="forbid"):
    current_password: Password
    new_password: NewPassword


class UserMe(UserPublic):
    """The caller's own account and what they may do, so a frontend can hide the rest."""

    roles: list[str] = Field(description="The roles the caller holds, by name.")
    permissions: list[str] = Field(
        description="Every declared permission the caller holds (all of them for a superuser)."
    )
