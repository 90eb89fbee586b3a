"""`/api/v1/notifications`: the caller's own account events over a WebSocket."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, WebSocket

from core import RuntimeDep, SocketPrincipal, module_settings
from modules.notifications.config import NotificationsConfig
from modules.notifications.sockets import serve_socket

router = APIRouter(tags=["notifications"])

ConfigDep = Annotated[NotificationsConfig, Depends(module_settings(NotificationsConfig))]


@router.websocket("/notifications")
async def notifications(
    websocket: WebSocket, principal: SocketPrincipal, runtime: RuntimeDep, config: ConfigDep
) -> None:
    """The signed-in user's own account events, one JSON object per message.

    Connect with `new WebSocket(url, ["trellis", "bearer." + accessToken])`: the server
    selects `trellis`; a token in the URL, or a missing, expired or revoked one, is refused
    before the handshake completes (401/403 problem+json). Each message has a `type`:
    `session.revoked` (`session_ids`, and `current`: whether it is this socket's own session,
    which then closes), `password.changed`, `account.updated` (`fields`: the names of the
    fields that changed). The server closes with 4001 when the socket's session is revoked
    (sign in again), 4002 when its access token expires (reconnect with a fresh one), and
    4003 when the client does not read its messages fast enough.
    """
    await serve_socket(
        websocket, runtime=runtime, principal=principal, recheck_seconds=config.recheck_seconds
    )
