"""Bearer token -> Principal, on every authenticated request.

The hot path is a signature check (CPU) and one cache round trip for the denylist, the session
snapshot (the user, their rights and the modules' claims) and the cache's revocation stamp,
which also carries the API rate limit's count.
Only a snapshot miss reads the database, and the snapshot it then caches never overwrites a
revocation marker written meanwhile. A cache whose stamp is behind what this instance knows
has lost or rewound keys: it is not believed (the database answers) and a repair starts
(`modules.auth.revocations`).
"""

from __future__ import annotations

from uuid import UUID

from core import Principal, Runtime, read_as_caller
from modules.auth import revocations, snapshots
from modules.auth.config import AuthConfig
from modules.auth.keys import keys_for
from modules.auth.sessions import load_snapshot
from modules.auth.snapshots import Reading, Snapshot
from modules.auth.tokens import decode_access_token
from modules.auth.watermark import watermark_for


async def principal_from_token(runtime: Runtime, token: str) -> Principal | None:
    """The caller of a valid, unrevoked access token of an active user; else None."""
    config = runtime.settings_for(AuthConfig)
    claims = decode_access_token(
        config=config, keys=keys_for(config, runtime.secret_key), token=token
    )
    if claims is None:
        return None
    mark = watermark_for(runtime)
    if not mark.verified:
        await revocations.refresh(runtime)  # a cache call failed: reread the database first
    epoch = mark.epoch
    try:
        with read_as_caller(claims.user_id):  # the API rate limit's count rides along
            reading = await snapshots.read(
                runtime.cache, jti=claims.jti, session_id=claims.session_id, epoch=epoch
            )
    except Exception:
        mark.doubt()
        raise
    snapshot = await _believed(runtime, reading, claims.session_id, epoch, config)
    if snapshot is None:
        return None
    if snapshot.revoked or not snapshot.is_active or snapshot.user_id != claims.user_id:
        return None
    return Principal(
        id=claims.user_id,
        session_id=claims.session_id,
        rights=snapshot.rights,
        # The modules' claims (absent while being rewritten), never above the token's own.
        claims={**snapshot.claims, **claims.raw} if snapshot.claims else claims.raw,
    )


async def _believed(
    runtime: Runtime, reading: Reading, session_id: UUID, epoch: int, config: AuthConfig
) -> Snapshot | None:
    """The session's snapshot as far as it can be trusted; None for a denied token.

    A denial is kept even from a doubtful cache: revocations are never undone.
    """
    if reading.denied:
        return None
    stamp = reading.stamp
    # The stamp must be of the namespace the snapshot was read from: a repair finishing
    # during the MGET may have moved this instance to a new epoch meanwhile.
    if stamp is None or stamp.epoch != epoch or not watermark_for(runtime).trusts(stamp):
        revocations.start_recovery(runtime)
        return await _from_database(runtime, session_id)
    if reading.snapshot is not None:
        return reading.snapshot
    snapshot = await _from_database(runtime, session_id)
    try:
        await snapshots.remember(
            runtime.cache,
            epoch=epoch,
            session_id=session_id,
            snapshot=snapshot,
            ttl=config.snapshot_ttl,
        )
    except Exception:
        watermark_for(runtime).doubt()
        raise
    return snapshot


async def _from_database(runtime: Runtime, session_id: UUID) -> Snapshot:
    # The request's own transaction is not reachable from here; a short read of our own.
    async with runtime.read_sessions() as session:
        return await load_snapshot(runtime=runtime, session=session, session_id=session_id)
