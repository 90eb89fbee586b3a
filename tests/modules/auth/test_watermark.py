"""When an instance believes the cache: the rules of `Stamp.covers` and `Watermark.trusts`."""

from __future__ import annotations

from modules.auth.watermark import Stamp, Watermark


def stamp(epoch: int, seq: int, nonce: str = "") -> Stamp:
    return Stamp(epoch=epoch, seq=seq, nonce=nonce or f"n{seq}")


def test_a_cache_covers_what_it_has_been_stamped_with_or_before() -> None:
    known = stamp(2, 5)
    assert stamp(2, 5).covers(known)
    assert stamp(2, 6).covers(known)  # a later revocation (committed or rolled back)
    assert not stamp(2, 4).covers(known)  # rewound: revocation 5's markers may be gone
    assert not stamp(2, 5, "other").covers(known)  # a rolled-back 5, not the committed one
    assert not stamp(1, 9).covers(known)  # an abandoned epoch
    assert not stamp(3, 5).covers(known)  # an epoch this instance has not learnt yet


def test_a_watermark_distrusts_a_cache_behind_what_it_knows_or_has_seen() -> None:
    mark = Watermark()
    mark.confirm(stamp(2, 5), doubts=1)
    assert mark.verified
    assert not mark.trusts(None)
    assert mark.trusts(stamp(2, 5))
    assert mark.trusts(stamp(2, 7))  # ahead of the last poll: another instance revoked
    # Having read 7, a cache showing 6 (or another 7) has rewound, whatever the poll says.
    assert not mark.trusts(stamp(2, 6))
    assert not mark.trusts(stamp(2, 7, "other"))
    assert mark.trusts(stamp(2, 8))

    mark.learn(stamp(2, 9))  # the database moved past what was seen: seen is forgotten
    assert mark.seen is None
    assert not mark.trusts(stamp(2, 8))
    mark.learn(stamp(3, 9))  # a repair
    assert not mark.trusts(stamp(2, 10))
    assert mark.trusts(stamp(3, 9))


def test_a_failed_cache_call_is_a_doubt_until_a_later_database_read() -> None:
    mark = Watermark()
    assert not mark.verified  # nothing read from the database yet
    mark.confirm(stamp(1, 1), doubts=mark.doubts)
    assert mark.verified
    began = mark.doubts
    mark.doubt()
    mark.confirm(stamp(1, 1), doubts=began)  # a read that began before the failure
    assert not mark.verified
    mark.confirm(stamp(1, 1), doubts=mark.doubts)
    assert mark.verified
