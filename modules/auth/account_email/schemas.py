"""Request and response shapes of the account e-mail endpoints."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, EmailStr, Field

from modules.users import NewPassword

# Tokens are 43 characters; the cap only keeps junk from being hashed.
Token = Annotated[str, Field(min_length=1, max_length=256)]


class EmailRequest(BaseModel, extra="forbid"):
    email: EmailStr


class PasswordReset(BaseModel, extra="forbid"):
    token: Token
    # The users module's policy decides (422 naming `new_password`); its type documents it.
    new_password: NewPassword


class Verification(BaseModel, extra="forbid"):
    token: Token


class Accepted(BaseModel):
    """The same body whether or not a message was sent."""

    detail: str
