"""The cache side of sessions: a stale snapshot never overwrites a revocation."""

from __future__ import annotations

import uuid

from core.cache.memory import MemoryCache
from modules.auth import snapshots
from modules.auth.snapshots import REVOKED, Snapshot


async def test_a_snapshot_read_before_a_revocation_does_not_undo_it() -> None:
    cache = MemoryCache()
    sid, user = uuid.uuid4(), uuid.uuid4()
    stale = Snapshot(user_id=user, is_active=True)
    # A resolver missed, read the database, and meanwhile the session was revoked.
    await snapshots.overwrite(cache, session_ids=[sid], snapshot=REVOKED, ttl=60)
    await snapshots.remember(cache, session_id=sid, snapshot=stale, ttl=60)
    denied, found = await snapshots.read(cache, jti="j", session_id=sid)
    assert not denied
    assert found == REVOKED


async def test_snapshots_round_trip_and_garbage_fails_closed() -> None:
    cache = MemoryCache()
    sid, user = uuid.uuid4(), uuid.uuid4()
    live = Snapshot(user_id=user, is_active=True, is_superuser=True)
    await snapshots.remember(cache, session_id=sid, snapshot=live, ttl=60)
    await snapshots.deny(cache, jti="gone", ttl=60)
    assert await snapshots.read(cache, jti="j", session_id=sid) == (False, live)
    assert await snapshots.read(cache, jti="gone", session_id=sid) == (True, live)
    assert await snapshots.read(cache, jti="j", session_id=uuid.uuid4()) == (False, None)
    for garbage in ("", "[]", "{}", '{"uid": "x"}', "null"):
        assert Snapshot.load(garbage) == REVOKED
