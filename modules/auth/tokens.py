"""Access tokens: short-lived JWTs naming the user (`sub`) and the login session (`sid`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import jwt

from modules.auth.config import AuthConfig
from modules.auth.keys import KeyPair

ACCESS_TYPE = "access"
# PyJWT only checks a registered claim when present unless it is listed here.
REQUIRED_CLAIMS = ["exp", "iat", "nbf", "sub", "aud", "iss", "jti"]


@dataclass(frozen=True)
class AccessClaims:
    """The verified claims the resolver needs, and all of them for `Principal.claims`."""

    user_id: UUID
    session_id: UUID
    jti: str
    exp: int
    raw: dict[str, Any]


def issue_access_token(
    *, config: AuthConfig, keys: KeyPair, user_id: UUID, session_id: UUID, now: datetime
) -> str:
    """Sign an access token for one session of one user."""
    payload = {
        "sub": str(user_id),
        "sid": str(session_id),
        "jti": secrets.token_urlsafe(16),
        "type": ACCESS_TYPE,
        "iss": config.issuer,
        "aud": config.audience,
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(seconds=config.access_ttl),
    }
    return jwt.encode(payload, keys.signing, algorithm=config.algorithm)


def decode_access_token(*, config: AuthConfig, keys: KeyPair, token: str) -> AccessClaims | None:
    """The claims of a valid access token, or None for anything else.

    The algorithm list holds only the configured one, which rules out `none` and HS/RS key
    confusion; `PyJWTError` (not just `InvalidTokenError`) also covers `InvalidKeyError`.
    """
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            keys.verifying,
            algorithms=[config.algorithm],
            audience=config.audience,
            issuer=config.issuer,
            leeway=config.leeway_seconds,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.PyJWTError:
        return None
    if claims.get("type") != ACCESS_TYPE:
        return None
    try:
        user_id = UUID(str(claims["sub"]))
        session_id = UUID(str(claims.get("sid")))
    except ValueError:
        return None
    jti, exp = claims["jti"], claims["exp"]
    if not isinstance(jti, str) or not jti or not isinstance(exp, int | float):
        return None
    return AccessClaims(user_id=user_id, session_id=session_id, jti=jti, exp=int(exp), raw=claims)


def new_refresh_token() -> tuple[str, str]:
    """A fresh opaque refresh token and the hash under which it is stored."""
    token = secrets.token_urlsafe(32)
    return token, hash_refresh_token(token)


def hash_refresh_token(token: str) -> str:
    """SHA-256 is enough: the token is 256 random bits, so there is nothing to brute-force."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def successor_token(token: str, *, key: str) -> str:
    """The refresh token that replaces `token` when it is rotated.

    Derived (HMAC under the secret key) rather than drawn, so every concurrent or repeated
    rotation of one token within the grace window hands out the same successor: the family
    stays one line, and a copy used later is still caught as reuse.
    """
    message = b"trellis-refresh-successor:" + token.encode("utf-8", "surrogatepass")
    digest = hmac.new(key.encode("utf-8", "surrogatepass"), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
