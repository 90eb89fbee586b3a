"""Bearer token -> Principal, on every authenticated request.

The hot path is a signature check (CPU) and one cache round trip for both the denylist and
the session snapshot. Only a snapshot miss reads the database, and the snapshot it then
caches never overwrites a revocation marker written meanwhile.
"""

from __future__ import annotations

from core import EVERY_RIGHT, Principal, Runtime
from modules.auth import snapshots
from modules.auth.config import AuthConfig
from modules.auth.keys import keys_for
from modules.auth.sessions import load_snapshot
from modules.auth.tokens import decode_access_token

# A superuser's principal holds every right; other callers hold none the core knows of.
ADMINISTRATOR = frozenset({EVERY_RIGHT})


async def principal_from_token(runtime: Runtime, token: str) -> Principal | None:
    """The caller of a valid, unrevoked access token of an active user; else None."""
    config = runtime.settings_for(AuthConfig)
    claims = decode_access_token(
        config=config, keys=keys_for(config, runtime.secret_key), token=token
    )
    if claims is None:
        return None
    denied, snapshot = await snapshots.read(
        runtime.cache, jti=claims.jti, session_id=claims.session_id
    )
    if denied:
        return None
    if snapshot is None:
        # The request's own transaction is not reachable from here; a short read of our own.
        async with runtime.read_sessions() as session:
            snapshot = await load_snapshot(session=session, session_id=claims.session_id)
        await snapshots.remember(
            runtime.cache,
            session_id=claims.session_id,
            snapshot=snapshot,
            ttl=config.snapshot_ttl,
        )
    if snapshot.revoked or not snapshot.is_active or snapshot.user_id != claims.user_id:
        return None
    return Principal(
        id=claims.user_id,
        session_id=claims.session_id,
        rights=ADMINISTRATOR if snapshot.is_superuser else frozenset(),
        claims=claims.raw,
    )
