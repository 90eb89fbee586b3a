"""How a WebSocket client hands over its access token: as a subprotocol, never in the URL.

Browsers cannot set headers on a WebSocket, and a URL lands in access logs, proxies' logs and
browser history. What they can set is `Sec-WebSocket-Protocol`: the client offers
`["trellis", "bearer.<access token>"]` and the server selects `trellis`, so the token is never
echoed back. Nothing here reads a header value into a log.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import Scope

__all__ = [
    "BEARER_PREFIX",
    "SUBPROTOCOL",
    "TOKEN_PARAMETERS",
    "offered_token",
    "offers_trellis",
    "token_in_query",
]

SUBPROTOCOL = "trellis"
BEARER_PREFIX = "bearer."
# Query parameters a client would put a token in; a handshake carrying any is refused.
TOKEN_PARAMETERS = frozenset({"token", "access_token", "accesstoken", "jwt", "bearer", "auth"})


def offered_token(scope: Scope) -> str | None:
    """The token of the `bearer.<token>` subprotocol a WebSocket client offered, if any."""
    for offered in scope.get("subprotocols", ()):
        if offered.startswith(BEARER_PREFIX) and len(offered) > len(BEARER_PREFIX):
            token: str = offered[len(BEARER_PREFIX) :]
            return token
    return None


def offers_trellis(scope: Scope) -> bool:
    """Whether the client offered the `trellis` subprotocol, the one the server selects."""
    return SUBPROTOCOL in scope.get("subprotocols", ())


def token_in_query(scope: Scope) -> bool:
    """Whether the URL's query string carries a parameter named like a token."""
    query: bytes = scope.get("query_string", b"")
    if not query:
        return False
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    return any(name.strip().lower() in TOKEN_PARAMETERS for name, _ in pairs)
