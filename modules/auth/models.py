"""The auth tables: one row per login (a refresh-token family), its refresh tokens, and the
revocation counter that lets every instance tell a rewound cache from a current one."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import BigInteger
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


class RevocationCounter(SQLModel, table=True):
    """One row (id 1): how far the history of revocations has gone (`modules.auth.revocations`).

    `seq` counts revocations, `nonce` tells apart two that drew the same `seq` (one rolled
    back), `epoch` names the cache namespace that session snapshots currently live in.
    """

    __tablename__ = "auth_revocation"

    id: int = Field(default=1, primary_key=True)
    seq: int = Field(default=0, sa_type=BigInteger)
    epoch: int = Field(default=0, sa_type=BigInteger)
    nonce: str = Field(default="", max_length=32)
