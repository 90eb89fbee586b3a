"""Issue and consume single-use action tokens; only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from uuid import UUID

from sqlalchemy import delete, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core import utcnow
from modules.auth.account_email.models import ActionToken, Purpose


def hash_token(token: str) -> str:
    """SHA-256 suffices: the token is 256 random bits, there is nothing to brute-force."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> str:
    """256 random bits, URL-safe: nothing to guess, nothing to brute-force."""
    return secrets.token_urlsafe(32)


async def issue(
    *,
    session: AsyncSession,
    token: str,
    user_id: UUID,
    email: str,
    purpose: Purpose,
    ttl: timedelta,
) -> None:
    """Store `token` for `purpose`, mailed to `email`; the user's spent ones are swept first."""
    now = utcnow()
    await session.execute(
        delete(ActionToken).where(
            col(ActionToken.user_id) == user_id,
            or_(col(ActionToken.used_at).is_not(None), col(ActionToken.expires_at) <= now),
        )
    )
    session.add(
        ActionToken(
            token_hash=hash_token(token),
            user_id=user_id,
            purpose=purpose,
            email=email,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    await session.flush()


async def consume(
    *, session: AsyncSession, token: str, purpose: Purpose
) -> tuple[UUID, str] | None:
    """Spend the token; (user id, address it was mailed to), or None when unusable.

    One conditional UPDATE claims it, so of concurrent uses exactly one wins.
    """
    now = utcnow()
    claim = (
        update(ActionToken)
        .where(
            col(ActionToken.token_hash) == hash_token(token),
            col(ActionToken.purpose) == purpose,
            col(ActionToken.used_at).is_(None),
            col(ActionToken.expires_at) > now,
        )
        .values(used_at=now)
        .returning(col(ActionToken.user_id), col(ActionToken.email))
        .execution_options(synchronize_session=False)
    )
    row = (await session.execute(claim)).one_or_none()
    return None if row is None else (row[0], row[1])


async def retire_all(*, session: AsyncSession, user_id: UUID, purpose: Purpose) -> None:
    """Spend the user's outstanding tokens of `purpose` (an older link must not work after)."""
    await session.execute(
        update(ActionToken)
        .where(
            col(ActionToken.user_id) == user_id,
            col(ActionToken.purpose) == purpose,
            col(ActionToken.used_at).is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
