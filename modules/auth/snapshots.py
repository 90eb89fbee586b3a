"""The cache side of sessions: what the resolver reads on every request, in one round trip.

`auth:sess:<sid>` holds a small JSON snapshot of the session's user, or a revocation marker;
`auth:deny:<jti>` marks one logged-out access token. The database stays the truth: a lost
cache only costs a reload, never brings a revoked session back.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from core import Cache


def session_key(session_id: UUID) -> str:
    return f"auth:sess:{session_id}"


def deny_key(jti: str) -> str:
    return f"auth:deny:{jti}"


@dataclass(frozen=True)
class Snapshot:
    """A session's user as the resolver needs it; `revoked` marks a dead session."""

    user_id: UUID | None = None
    is_active: bool = False
    is_superuser: bool = False
    revoked: bool = False

    def dump(self) -> str:
        if self.revoked or self.user_id is None:
            return '{"revoked":true}'
        return json.dumps(
            {
                "uid": str(self.user_id),
                "active": self.is_active,
                "su": self.is_superuser,
            },
            separators=(",", ":"),
        )

    @classmethod
    def load(cls, text: str) -> Snapshot:
        """Parse a stored snapshot; anything unreadable counts as revoked (fail closed)."""
        try:
            data = json.loads(text)
            if data.get("revoked"):
                return REVOKED
            return cls(
                user_id=UUID(data["uid"]),
                is_active=bool(data["active"]),
                is_superuser=bool(data["su"]),
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            return REVOKED


REVOKED = Snapshot(revoked=True)


async def read(cache: Cache, *, jti: str, session_id: UUID) -> tuple[bool, Snapshot | None]:
    """Whether the token is denied, and the session snapshot (None on a miss): one MGET."""
    denied, raw = await cache.get_many([deny_key(jti), session_key(session_id)])
    return denied is not None, None if raw is None else Snapshot.load(raw)


async def remember(cache: Cache, *, session_id: UUID, snapshot: Snapshot, ttl: float) -> None:
    """Cache a snapshot loaded from the database, unless something newer got there first.

    `only_if_absent` keeps a revocation marker written meanwhile from being overwritten by
    the (now stale) state this request read.
    """
    await cache.set(session_key(session_id), snapshot.dump(), ttl=ttl, only_if_absent=True)


async def overwrite(
    cache: Cache, *, session_ids: Iterable[UUID], snapshot: Snapshot, ttl: float
) -> None:
    """Replace the snapshots of these sessions (a revocation, or a change of rights)."""
    value = snapshot.dump()
    await asyncio.gather(*(cache.set(session_key(sid), value, ttl=ttl) for sid in session_ids))


async def forget(cache: Cache, *, session_ids: Iterable[UUID]) -> None:
    """Drop these snapshots, so the next request reloads the sessions from the database."""
    keys = [session_key(sid) for sid in session_ids]
    if keys:
        await cache.delete(*keys)


async def deny(cache: Cache, *, jti: str, ttl: float) -> None:
    """Refuse one access token until it would have expired anyway."""
    await cache.set(deny_key(jti), "1", ttl=max(1.0, ttl))
