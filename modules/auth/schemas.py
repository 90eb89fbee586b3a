"""Request and response shapes of the auth endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class TokenPair(BaseModel):
    """The OAuth2 token response (RFC 6749 §5.1), plus the rotating refresh token."""

    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the OAuth2 token type)
    expires_in: int = Field(description="Seconds until the access token expires.")


class RefreshRequest(BaseModel, extra="forbid"):
    refresh_token: str = Field(min_length=1, max_length=512)


class SessionPublic(BaseModel):
    """One login session as its owner sees it; `current` marks the caller's own."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    user_agent: str | None
    ip: str | None
    current: bool = False


class SessionsPublic(BaseModel):
    items: list[SessionPublic]
