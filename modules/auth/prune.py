"""Housekeeping: delete session, refresh-token and link rows that can no longer do anything.

Run daily by the periodic task `auth.prune` (`modules.auth.tasks`) and by `trellis auth prune`.

A rotated refresh token is kept while it has not expired: presenting it again is how a stolen
copy is detected and its family revoked. Sessions that ended and refresh tokens that expired
stay `older_than` longer, as recent history; spent or expired links go at once, as
`account_email.tokens.issue` sweeps them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Delete, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core import utcnow
from modules.auth.account_email.models import ActionToken
from modules.auth.models import AuthSession, RefreshToken


@dataclass(frozen=True)
class Pruned:
    sessions: int
    refresh_tokens: int
    action_tokens: int


async def prune(*, session: AsyncSession, older_than: timedelta) -> Pruned:
    """Delete sessions ended and refresh tokens expired more than `older_than` ago, spent links."""
    now = utcnow()
    cutoff = now - older_than
    ended = select(col(AuthSession.id)).where(
        or_(col(AuthSession.expires_at) < cutoff, col(AuthSession.revoked_at) < cutoff)
    )
    # The tokens of ended sessions first: the foreign key would cascade them, uncounted.
    refresh_tokens = await _delete(
        session,
        delete(RefreshToken).where(
            or_(col(RefreshToken.expires_at) < cutoff, col(RefreshToken.session_id).in_(ended))
        ),
    )
    sessions = await _delete(
        session,
        delete(AuthSession).where(
            or_(col(AuthSession.expires_at) < cutoff, col(AuthSession.revoked_at) < cutoff)
        ),
    )
    action_tokens = await _delete(
        session,
        delete(ActionToken).where(
            or_(col(ActionToken.used_at).is_not(None), col(ActionToken.expires_at) <= now)
        ),
    )
    return Pruned(sessions=sessions, refresh_tokens=refresh_tokens, action_tokens=action_tokens)


async def _delete(session: AsyncSession, statement: Delete) -> int:
    result = cast(
        CursorResult[Any],
        await session.execute(statement.execution_options(synchronize_session=False)),
    )
    return result.rowcount
