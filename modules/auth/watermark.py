"""What this instance knows of the revocation history, to tell a rewound cache from a live one.

A `Stamp` marks a point in the history of revocations. The database holds the latest one
(`auth_revocation`); every revocation writes its markers to the cache and *then* its stamp
(`auth:rev`), so a cache holding a stamp holds every marker up to it, whatever state it was
restored to: Redis dumps and replicas are point-in-time copies of one ordered history.

The resolver reads the cache's stamp in the MGET it already makes for the denylist and the
snapshot, and trusts the snapshot only when that stamp `covers` both what this instance knows
from the database (`known`) and the highest stamp it has read from the cache (`seen`). A cache
restored from an older dump, or a lagging replica promoted, holds an older stamp: it is
bypassed and repaired (`modules.auth.revocations`). All of this is local, lock-free state:
the checks cost no I/O.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field

from core import Runtime


@dataclass(frozen=True)
class Stamp:
    """`seq` counts revocations; `nonce` tells apart two that drew the same `seq` (one rolled
    back); `epoch` names the cache namespace snapshots live in, changed by every repair."""

    epoch: int
    seq: int
    nonce: str

    def dump(self) -> str:
        return f"{self.epoch}:{self.seq}:{self.nonce}"

    @classmethod
    def load(cls, text: str | None) -> Stamp | None:
        """Parse a cached stamp; None when missing or unreadable (treated as a rewound cache)."""
        if text is None:
            return None
        epoch, _, rest = text.partition(":")
        seq, _, nonce = rest.partition(":")
        try:
            return cls(epoch=int(epoch), seq=int(seq), nonce=nonce)
        except ValueError:
            return None

    def covers(self, other: Stamp) -> bool:
        """Whether a cache stamped `self` holds every marker written up to `other`.

        Same epoch, and either further along (a later revocation wrote it, after checking the
        cache covered what came before), or the very same revocation.
        """
        if self.epoch != other.epoch:
            return False
        return self.seq > other.seq or (self.seq == other.seq and self.nonce == other.nonce)

    def after(self, other: Stamp) -> bool:
        """Later in the database's history (which only ever moves forward)."""
        return (self.epoch, self.seq) > (other.epoch, other.seq)


ORIGIN = Stamp(epoch=0, seq=0, nonce="")


@dataclass
class Watermark:
    """One instance's view: the latest committed stamp it knows and the highest it has seen.

    `known` comes from the database (the poll, or a read after a doubt) and from this
    instance's own committed revocations. `seen` narrows the window further: once any request
    here has read stamp N from the cache, a cache showing less than N has rewound, even before
    the database poll says so. A cache error is a doubt: the next request rereads the database
    before it trusts the cache again (`verified`).
    """

    known: Stamp = ORIGIN
    seen: Stamp | None = None
    doubts: int = 1  # starts doubtful: nothing has been read from the database yet
    checked: int = 0  # `doubts` as it was when the last successful database read began
    reading: asyncio.Task[None] | None = field(default=None, repr=False)
    reading_doubts: int = 0
    recovery: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def verified(self) -> bool:
        """Whether a database read has begun (and ended) since the last cache error."""
        return self.checked == self.doubts

    @property
    def epoch(self) -> int:
        return self.known.epoch

    def doubt(self) -> None:
        """A cache call failed: an outage or failover, which is how a rewind begins."""
        self.doubts += 1

    def learn(self, stamp: Stamp) -> None:
        """A committed stamp, from the database or from this instance's own revocation."""
        if stamp.after(self.known):
            self.known = stamp
        seen = self.seen
        if seen is not None and (seen.epoch != self.known.epoch or not seen.after(self.known)):
            self.seen = None

    def confirm(self, stamp: Stamp, *, doubts: int) -> None:
        """A database read that began when `doubts` stood at this value returned `stamp`."""
        self.learn(stamp)
        self.checked = max(self.checked, doubts)

    def trusts(self, cached: Stamp | None) -> bool:
        """Whether a cache stamped `cached` may be believed; records it as seen when it may."""
        if cached is None or not cached.covers(self.known):
            return False
        seen = self.seen
        if seen is not None and not cached.covers(seen):
            return False
        if cached.seq > (seen or self.known).seq:
            self.seen = cached
        return True


_MARKS: dict[int, Watermark] = {}


def watermark_for(runtime: Runtime) -> Watermark:
    """The watermark of this runtime (one per app), dropped when the runtime is."""
    key = id(runtime)
    mark = _MARKS.get(key)
    if mark is None:
        mark = _MARKS[key] = Watermark()
        weakref.finalize(runtime, _MARKS.pop, key, None)
    return mark
