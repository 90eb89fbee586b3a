"""The cache side of sessions: what the resolver reads on every request, in one round trip.

`auth:sess:<epoch>:<sid>` holds a small JSON snapshot of the session's user, the rights the
modules grant them (`rights_of`) and what they say about them (`principal_claims`), or a
revocation marker; `auth:deny:<jti>` marks one
logged-out access token; `auth:rev` holds the stamp of the last revocation whose markers the
cache holds (`modules.auth.watermark`). The database stays the truth: a lost cache only costs
a reload, and a rewound one is detected by its stamp and abandoned (a repair moves snapshots
to a new epoch), never believed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from core import EVERY_RIGHT, Cache
from modules.auth.watermark import Stamp

STAMP_KEY = "auth:rev"


def session_key(epoch: int, session_id: UUID) -> str:
    return f"auth:sess:{epoch}:{session_id}"


def deny_key(jti: str) -> str:
    return f"auth:deny:{jti}"


@dataclass(frozen=True)
class Snapshot:
    """A session's user as the resolver needs it; `revoked` marks a dead session.

    `claims` is None while the claims may be changing (written ahead of a commit): whoever
    would show them reads the database until the full snapshot follows the commit.
    """

    user_id: UUID | None = None
    is_active: bool = False
    rights: frozenset[str] = frozenset()
    revoked: bool = False
    claims: Mapping[str, object] | None = None

    def dump(self) -> str:
        if self.revoked or self.user_id is None:
            return '{"revoked":true}'
        data: dict[str, Any] = {
            "uid": str(self.user_id),
            "active": self.is_active,
            "r": sorted(self.rights),
            # What the release before rights read; kept for its instances in a rolling
            # deploy, which would otherwise find a key missing and refuse every token.
            "su": EVERY_RIGHT in self.rights,
        }
        if self.claims is not None:
            data["c"] = self.claims
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def load(cls, text: str) -> Snapshot:
        """Parse a stored snapshot; anything unreadable counts as revoked (fail closed)."""
        try:
            data = json.loads(text)
            if data.get("revoked"):
                return REVOKED
            # A snapshot of the release before rights carries only the superuser flag.
            rights = data["r"] if "r" in data else ([EVERY_RIGHT] if data["su"] else [])
            if not isinstance(rights, list) or not all(isinstance(r, str) for r in rights):
                return REVOKED
            claims = data.get("c")
            return cls(
                user_id=UUID(data["uid"]),
                is_active=bool(data["active"]),
                rights=frozenset(rights),
                # Unreadable claims are only display data: absent, the database answers.
                claims=claims if isinstance(claims, dict) else None,
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            return REVOKED


REVOKED = Snapshot(revoked=True)


@dataclass(frozen=True)
class Reading:
    """What one MGET told the resolver: the token denied, the snapshot (None on a miss), and
    the cache's stamp (None when missing), to be checked before the snapshot is believed."""

    denied: bool
    snapshot: Snapshot | None
    stamp: Stamp | None


async def read(cache: Cache, *, jti: str, session_id: UUID, epoch: int) -> Reading:
    """The denylist, the session snapshot and the cache's stamp: one MGET."""
    denied, raw, stamp = await cache.get_many(
        [deny_key(jti), session_key(epoch, session_id), STAMP_KEY]
    )
    snapshot = None if raw is None else Snapshot.load(raw)
    return Reading(denied=denied is not None, snapshot=snapshot, stamp=Stamp.load(stamp))


async def read_stamp(cache: Cache) -> Stamp | None:
    return Stamp.load(await cache.get(STAMP_KEY))


async def write_stamp(cache: Cache, stamp: Stamp) -> None:
    """Publish a stamp; written only after the markers it vouches for, and kept forever."""
    await cache.set(STAMP_KEY, stamp.dump())


async def remember(
    cache: Cache, *, epoch: int, session_id: UUID, snapshot: Snapshot, ttl: float
) -> None:
    """Cache a snapshot loaded from the database, unless something newer got there first.

    `only_if_absent` keeps a revocation marker written meanwhile from being overwritten by
    the (now stale) state this request read.
    """
    key = session_key(epoch, session_id)
    await cache.set(key, snapshot.dump(), ttl=ttl, only_if_absent=True)


async def overwrite(
    cache: Cache, *, epoch: int, snapshots: Mapping[UUID, Snapshot], ttl: float
) -> None:
    """Replace the snapshots of these sessions (a revocation, or a change of rights)."""
    await asyncio.gather(
        *(
            cache.set(session_key(epoch, sid), snapshot.dump(), ttl=ttl)
            for sid, snapshot in snapshots.items()
        )
    )


async def forget(cache: Cache, *, epoch: int, session_ids: Iterable[UUID]) -> None:
    """Drop these snapshots, so the next request reloads the sessions from the database."""
    keys = [session_key(epoch, sid) for sid in session_ids]
    if keys:
        await cache.delete(*keys)


async def deny(cache: Cache, *, jti: str, ttl: float) -> None:
    """Refuse one access token until it would have expired anyway."""
    await cache.set(deny_key(jti), "1", ttl=max(1.0, ttl))
