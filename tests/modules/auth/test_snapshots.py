"""The cache side of sessions: a stale snapshot never overwrites a revocation."""

from __future__ import annotations

import uuid

from core.cache.memory import MemoryCache
from modules.auth import snapshots
from modules.auth.snapshots import REVOKED, Snapshot
from modules.auth.watermark import Stamp

EPOCH = 3


async def test_a_snapshot_read_before_a_revocation_does_not_undo_it() -> None:
    cache = MemoryCache()
    sid, user = uuid.uuid4(), uuid.uuid4()
    stale = Snapshot(user_id=user, is_active=True)
    # A resolver missed, read the database, and meanwhile the session was revoked.
    await snapshots.overwrite(cache, epoch=EPOCH, snapshots={sid: REVOKED}, ttl=60)
    await snapshots.remember(cache, epoch=EPOCH, session_id=sid, snapshot=stale, ttl=60)
    reading = await snapshots.read(cache, jti="j", session_id=sid, epoch=EPOCH)
    assert not reading.denied
    assert reading.snapshot == REVOKED


async def test_snapshots_round_trip_and_garbage_fails_closed() -> None:
    cache = MemoryCache()
    sid, user = uuid.uuid4(), uuid.uuid4()
    live = Snapshot(user_id=user, is_active=True, rights=frozenset({"*", "notes:moderate"}))
    stamp = Stamp(epoch=EPOCH, seq=7, nonce="n")
    await snapshots.remember(cache, epoch=EPOCH, session_id=sid, snapshot=live, ttl=60)
    await snapshots.deny(cache, jti="gone", ttl=60)
    await snapshots.write_stamp(cache, stamp)

    found = await snapshots.read(cache, jti="j", session_id=sid, epoch=EPOCH)
    assert (found.denied, found.snapshot, found.stamp) == (False, live, stamp)
    assert (await snapshots.read(cache, jti="gone", session_id=sid, epoch=EPOCH)).denied
    # Another epoch is another namespace: the snapshot is not there.
    assert (await snapshots.read(cache, jti="j", session_id=sid, epoch=EPOCH + 1)).snapshot is None
    assert (
        await snapshots.read(cache, jti="j", session_id=uuid.uuid4(), epoch=EPOCH)
    ).snapshot is None
    for garbage in (
        "",
        "[]",
        "{}",
        '{"uid": "x"}',
        "null",
        f'{{"uid":"{user}","active":true,"r":3}}',
    ):
        assert Snapshot.load(garbage) == REVOKED
    for garbage in ("", "x", "1:x:n", "x:1:n"):
        assert Stamp.load(garbage) is None


def test_a_snapshot_of_the_release_before_rights_reads_its_superuser_flag() -> None:
    """Written by an instance of the previous release during a rolling deploy, and read back."""
    user = uuid.uuid4()
    old = f'{{"uid":"{user}","active":true,"su":true}}'
    assert Snapshot.load(old) == Snapshot(user_id=user, is_active=True, rights=frozenset({"*"}))
    plain = Snapshot(user_id=user, is_active=True, rights=frozenset({"notes:moderate"}))
    assert '"su":false' in plain.dump()  # what that release reads from ours
