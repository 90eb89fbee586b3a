"""The auth tables: one row per login (a refresh-token family) and its refresh tokens."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlmodel import Field, SQLModel

from core import UTCDateTime, utcnow


class AuthSession(SQLModel, table=True):
    """A login. Revoking it retires every refresh token descended from that login."""

    __tablename__ = "auth_session"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    user_id: UUID = Field(foreign_key="users_user.id", ondelete="CASCADE", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Slides forward with every rotation: the expiry of the family's newest refresh token.
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    user_agent: str | None = Field(default=None, max_length=512)
    ip: str | None = Field(default=None, max_length=45)


class RefreshToken(SQLModel, table=True):
    """A refresh token, kept only as its SHA-256; `used_at` is set once, when it is rotated."""

    __tablename__ = "auth_refresh_token"

    token_hash: str = Field(primary_key=True, max_length=64)
    session_id: UUID = Field(foreign_key="auth_session.id", ondelete="CASCADE", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
