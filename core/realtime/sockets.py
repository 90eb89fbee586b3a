"""Authenticated WebSockets for modules: who is on the other end, and for how long.

A module's socket route declares `principal: SocketPrincipal`; the handshake is refused with
problem+json before it is accepted (a WebSocket denial response: 401, or 403 for a token in
the URL) unless the client offered `trellis` and a valid `bearer.<access token>`. The route
then calls `accept_socket`, which selects `trellis`. Tokens are resolved by the same
`principal_resolver` hook as HTTP requests, so a revoked or expired token opens nothing.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, WebSocket

from core.deps import Forbidden, NotAuthenticated, resolve_token
from core.realtime.protocol import SUBPROTOCOL, offered_token, offers_trellis, token_in_query
from core.records import Principal, PrincipalResolver

__all__ = ["SocketPrincipal", "accept_socket", "reauthenticate", "seconds_left"]

_HOW = "offer the subprotocols 'trellis' and 'bearer.<access token>'"


async def get_socket_principal(websocket: WebSocket) -> Principal:
    """The caller of a WebSocket handshake, or a 401/403 denial before it is accepted."""
    if token_in_query(websocket.scope):
        raise Forbidden(f"An access token in the URL is refused (URLs are logged); {_HOW}.")
    token = offered_token(websocket.scope)
    if token is None or not offers_trellis(websocket.scope):
        raise NotAuthenticated(f"Missing access token: {_HOW}.")
    principal = await resolve_token(websocket, token)
    if principal is None:
        raise NotAuthenticated("The access token is invalid, expired or revoked.")
    return principal


SocketPrincipal = Annotated[Principal, Depends(get_socket_principal)]


async def accept_socket(websocket: WebSocket) -> None:
    """Complete the handshake selecting `trellis` (never echoing the bearer subprotocol)."""
    await websocket.accept(subprotocol=SUBPROTOCOL)


async def reauthenticate(websocket: WebSocket) -> Principal | None:
    """Resolve the handshake's token again, now: None once it is revoked or expired.

    For long-lived sockets, which would otherwise trust what was true at the handshake.
    """
    token = offered_token(websocket.scope)
    resolver: PrincipalResolver | None = websocket.app.state.principal_resolver
    if token is None or resolver is None:
        return None
    return await resolver.resolve(token)


def seconds_left(principal: Principal) -> float | None:
    """Seconds until the token expires, by its `exp` claim (RFC 7519) when it has one.

    A socket must not outlive its token: close it then, and the client reconnects with a
    fresh one.
    """
    expires = principal.claims.get("exp")
    if not isinstance(expires, int | float):
        return None
    return max(0.0, float(expires) - time.time())
