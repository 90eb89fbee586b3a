"""Opening notification sockets in-process, and access tokens with a chosen lifetime."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from uuid import UUID

import jwt

from core import utcnow
from core.testing import TrellisClient
from core.testing.sockets import Socket, connect
from modules.auth.config import AuthConfig
from modules.auth.keys import keys_for
from modules.auth.tokens import issue_access_token

URL = "/api/v1/notifications"


def offered(token: str) -> list[str]:
    """What a browser offers: `new WebSocket(url, ["trellis", "bearer." + token])`."""
    return ["trellis", f"bearer.{token}"]


def open_socket(
    client: TrellisClient, token: str, *, url: str = URL
) -> AbstractAsyncContextManager[Socket]:
    return connect(client.app, url, subprotocols=offered(token))


def token_expiring_in(client: TrellisClient, token: str, seconds: float) -> str:
    """Another access token of `token`'s session, whose `exp` is `seconds` from now."""
    claims = jwt.decode(token, options={"verify_signature": False})
    runtime = client.runtime
    config = runtime.settings_for(AuthConfig)
    return issue_access_token(
        config=config,
        keys=keys_for(config, runtime.secret_key),
        user_id=UUID(claims["sub"]),
        session_id=UUID(claims["sid"]),
        now=utcnow() - timedelta(seconds=config.access_ttl - seconds),
    )
