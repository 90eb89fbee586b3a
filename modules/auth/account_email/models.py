"""Single-use tokens mailed as links: reset a password, verify an address."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from sqlmodel import Field, SQLModel

from core import UTCDateTime, utcnow


class Purpose(StrEnum):
    reset = "reset"
    verify = "verify"


class ActionToken(SQLModel, table=True):
    """Kept only as its SHA-256, bound to the address it was mailed to; `used_at` set once."""

    __tablename__ = "auth_action_token"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: UUID = Field(foreign_key="users_user.id", ondelete="CASCADE", index=True)
    purpose: str = Field(max_length=16)
    # A link mailed to an address the account no longer has must not act on it.
    email: str = Field(max_length=320)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
