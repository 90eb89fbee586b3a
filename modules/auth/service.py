"""Token flows: password login, refresh-token rotation with reuse detection, logout."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from functools import partial
from uuid import UUID

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core import Principal, Runtime, utcnow
from modules.auth import snapshots
from modules.auth.account_email.exceptions import EmailNotVerified
from modules.auth.config import AuthConfig
from modules.auth.exceptions import InvalidCredentials
from modules.auth.keys import keys_for
from modules.auth.limits import count_login_attempt, forget_account_failures
from modules.auth.models import AuthSession, RefreshToken
from modules.auth.schemas import TokenPair
from modules.auth.sessions import revoke_session
from modules.auth.tokens import (
    hash_refresh_token,
    issue_access_token,
    new_refresh_token,
    successor_token,
)
from modules.users import authenticate, get_user

log = logging.getLogger("trellis.auth")


async def login(
    *,
    runtime: Runtime,
    session: AsyncSession,
    email: str,
    password: str,
    ip: str,
    user_agent: str | None,
) -> TokenPair:
    """Open a session; raises InvalidCredentials, EmailNotVerified (403) or RateLimited.

    The attempt is counted once the account lookup has answered, just before the password
    check (known account or not): an attempt we fail to decide (database down) costs nothing.
    """
    user = await authenticate(
        runtime=runtime,
        session=session,
        email=email,
        password=password,
        before_check=partial(count_login_attempt, runtime=runtime, email=email, ip=ip),
    )
    if user is None:
        raise InvalidCredentials()
    await forget_account_failures(runtime=runtime, email=email)
    config = runtime.settings_for(AuthConfig)
    if config.require_verified_login and not user.is_verified:
        raise EmailNotVerified()
    now = utcnow()
    auth_session = AuthSession(
        user_id=user.id,
        created_at=now,
        last_used_at=now,
        expires_at=now + timedelta(days=config.refresh_token_days),
        user_agent=user_agent[:512] if user_agent else None,
        ip=ip[:45],
    )
    session.add(auth_session)
    await session.flush()
    refresh_token, token_hash = new_refresh_token()
    _store(session=session, auth_session=auth_session, token_hash=token_hash, now=now)
    return _pair(runtime=runtime, auth_session=auth_session, refresh_token=refresh_token, now=now)


async def refresh(
    *, runtime: Runtime, session: AsyncSession, refresh_token: str
) -> TokenPair | None:
    """Rotate a refresh token; None when refused, EmailNotVerified (403) as login would.

    A refusal may have revoked a family (reuse of a retired token), which the caller must
    commit. The token is claimed with one conditional UPDATE, so of many concurrent uses
    exactly one rotates it; the others find it rotated moments ago and get the same
    successor (`_replayed`). Reading first and writing after would let several rotate.
    """
    now = utcnow()
    token_hash = hash_refresh_token(refresh_token)
    claim = (
        update(RefreshToken)
        .where(
            col(RefreshToken.token_hash) == token_hash,
            col(RefreshToken.used_at).is_(None),
            col(RefreshToken.expires_at) > now,
        )
        .values(used_at=now)
        .returning(col(RefreshToken.session_id))
        .execution_options(synchronize_session=False)
    )
    session_id = (await session.execute(claim)).scalar_one_or_none()
    if session_id is None:
        return await _replayed(
            runtime=runtime, session=session, refresh_token=refresh_token, now=now
        )
    auth_session = await _usable_session(
        runtime=runtime, session=session, session_id=session_id, now=now
    )
    if auth_session is None:
        return None
    config = runtime.settings_for(AuthConfig)
    auth_session.last_used_at = now
    auth_session.expires_at = now + timedelta(days=config.refresh_token_days)
    successor = successor_token(refresh_token, key=runtime.secret_key)
    _store(
        session=session,
        auth_session=auth_session,
        token_hash=hash_refresh_token(successor),
        now=now,
    )
    return _pair(runtime=runtime, auth_session=auth_session, refresh_token=successor, now=now)


async def logout(*, runtime: Runtime, session: AsyncSession, principal: Principal) -> None:
    """Revoke the caller's session and deny their access token until it expires."""
    if principal.session_id is not None:
        await revoke_session(runtime=runtime, session=session, session_id=principal.session_id)
    jti, exp = principal.claims.get("jti"), principal.claims.get("exp")
    if isinstance(jti, str) and isinstance(exp, int):
        config = runtime.settings_for(AuthConfig)
        ttl = exp - time.time() + config.leeway_seconds
        await snapshots.deny(runtime.cache, jti=jti, ttl=ttl)


async def _replayed(
    *, runtime: Runtime, session: AsyncSession, refresh_token: str, now: datetime
) -> TokenPair | None:
    """A token that could not be claimed: unknown or expired (None), rotated within the grace
    window (its successor again, with a new access token), or reused later (family revoked).

    On PostgreSQL a concurrent claim waits for the winner's commit, so the winner's rotation
    and successor are visible here; SQLite runs the two one after the other.
    """
    token_hash = hash_refresh_token(refresh_token)
    row = await session.get(RefreshToken, token_hash)
    if row is None or row.used_at is None:
        return None
    grace = timedelta(seconds=runtime.settings_for(AuthConfig).refresh_reuse_grace_seconds)
    if now - row.used_at > grace:
        # A retired token came back: someone holds a copy, so its whole family is revoked.
        if await revoke_session(runtime=runtime, session=session, session_id=row.session_id):
            log.warning("refresh token reused; revoked session %s", row.session_id)
        return None
    successor = successor_token(refresh_token, key=runtime.secret_key)
    if await session.get(RefreshToken, hash_refresh_token(successor)) is None:
        return None  # rotated with a drawn successor (before successors were derived)
    auth_session = await _usable_session(
        runtime=runtime, session=session, session_id=row.session_id, now=now
    )
    if auth_session is None:
        return None
    return _pair(runtime=runtime, auth_session=auth_session, refresh_token=successor, now=now)


async def _usable_session(
    *, runtime: Runtime, session: AsyncSession, session_id: UUID, now: datetime
) -> AuthSession | None:
    """The session a refresh continues, if it and its user may; EmailNotVerified as login."""
    auth_session = await session.get(AuthSession, session_id)
    if (
        auth_session is None
        or auth_session.revoked_at is not None
        or auth_session.expires_at <= now
    ):
        return None
    user = await get_user(session=session, user_id=auth_session.user_id)
    if user is None or not user.is_active:
        await revoke_session(runtime=runtime, session=session, session_id=session_id)
        return None
    config = runtime.settings_for(AuthConfig)
    if config.require_verified_login and not user.is_verified:
        # Raised, so the claim rolls back: the token works again once the address is confirmed.
        raise EmailNotVerified()
    return auth_session


def _store(
    *, session: AsyncSession, auth_session: AuthSession, token_hash: str, now: datetime
) -> None:
    """Keep a new refresh token of the session (only its hash)."""
    session.add(
        RefreshToken(
            token_hash=token_hash,
            session_id=auth_session.id,
            created_at=now,
            expires_at=auth_session.expires_at,
        )
    )


def _pair(
    *, runtime: Runtime, auth_session: AuthSession, refresh_token: str, now: datetime
) -> TokenPair:
    """A new access token for the session, with the given refresh token."""
    config = runtime.settings_for(AuthConfig)
    access_token = issue_access_token(
        config=config,
        keys=keys_for(config, runtime.secret_key),
        user_id=auth_session.user_id,
        session_id=auth_session.id,
        now=now,
    )
    return TokenPair(
        access_token=access_token, refresh_token=refresh_token, expires_in=config.access_ttl
    )
