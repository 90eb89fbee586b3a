"""Token flows: password login, refresh-token rotation with reuse detection, logout."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import select, update
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
from modules.auth.tokens import hash_refresh_token, issue_access_token, new_refresh_token
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
    """Open a session; raises InvalidCredentials, EmailNotVerified (403) or RateLimited."""
    await count_login_attempt(runtime=runtime, email=email, ip=ip)
    user = await authenticate(runtime=runtime, session=session, email=email, password=password)
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
    return _issue(runtime=runtime, session=session, auth_session=auth_session, now=now)


async def refresh(
    *, runtime: Runtime, session: AsyncSession, refresh_token: str
) -> TokenPair | None:
    """Rotate a refresh token; None when refused, EmailNotVerified (403) as login would.

    A refusal may have revoked a family (reuse of a retired token), which the caller must
    commit. The token is claimed with one conditional UPDATE, so of many concurrent uses
    exactly one wins; reading first and writing after would let several through.
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
        await _revoke_on_reuse(runtime=runtime, session=session, token_hash=token_hash)
        return None
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
    auth_session.last_used_at = now
    auth_session.expires_at = now + timedelta(days=config.refresh_token_days)
    return _issue(runtime=runtime, session=session, auth_session=auth_session, now=now)


async def logout(*, runtime: Runtime, session: AsyncSession, principal: Principal) -> None:
    """Revoke the caller's session and deny their access token until it expires."""
    if principal.session_id is not None:
        await revoke_session(runtime=runtime, session=session, session_id=principal.session_id)
    jti, exp = principal.claims.get("jti"), principal.claims.get("exp")
    if isinstance(jti, str) and isinstance(exp, int):
        config = runtime.settings_for(AuthConfig)
        ttl = exp - time.time() + config.leeway_seconds
        await snapshots.deny(runtime.cache, jti=jti, ttl=ttl)


async def _revoke_on_reuse(*, runtime: Runtime, session: AsyncSession, token_hash: str) -> None:
    """A retired token came back: someone holds a copy, so its whole family is revoked."""
    query = select(col(RefreshToken.session_id)).where(
        col(RefreshToken.token_hash) == token_hash, col(RefreshToken.used_at).is_not(None)
    )
    family: UUID | None = (await session.execute(query)).scalar_one_or_none()
    if family is not None and await revoke_session(
        runtime=runtime, session=session, session_id=family
    ):
        log.warning("refresh token reused; revoked session %s", family)


def _issue(
    *, runtime: Runtime, session: AsyncSession, auth_session: AuthSession, now: datetime
) -> TokenPair:
    """A new access token and a new refresh token for the session."""
    config = runtime.settings_for(AuthConfig)
    refresh_token, token_hash = new_refresh_token()
    session.add(
        RefreshToken(
            token_hash=token_hash,
            session_id=auth_session.id,
            created_at=now,
            expires_at=auth_session.expires_at,
        )
    )
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
