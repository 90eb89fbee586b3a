"""Settings of the notifications module, from `[modules.notifications]` in plugins.toml."""

from __future__ import annotations

from pydantic import BaseModel, Field


class NotificationsConfig(BaseModel, extra="forbid"):
    """How often an open socket checks that its token still holds."""

    # Revocations close sockets at once through pub/sub; this check bounds how long a socket
    # can outlive its session when that message was lost (a Redis outage at that moment).
    recheck_seconds: float = Field(30.0, gt=0)
