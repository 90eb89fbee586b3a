"""The flows: mail a reset or verification link, and act on a followed link. Nothing commits.

Mail is queued with `send_after_commit`, so a link leaves only once its token is stored.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from core import Runtime, send_after_commit, utcnow
from modules.auth.account_email import tokens
from modules.auth.account_email.exceptions import AlreadyVerified, InvalidActionToken
from modules.auth.account_email.limits import count_mail_request
from modules.auth.account_email.mails import (
    password_changed_mail,
    reset_password_mail,
    verify_email_mail,
)
from modules.auth.account_email.models import Purpose
from modules.auth.config import AuthConfig
from modules.users import UserAccount, get_user, get_user_by_email, mark_verified, set_password


def _config(runtime: Runtime) -> AuthConfig:
    return runtime.settings_for(AuthConfig)


async def send_reset_link(*, runtime: Runtime, session: AsyncSession, email: str) -> None:
    """Mail a reset link when an active account uses `email`; otherwise do nothing."""
    user = await get_user_by_email(session=session, email=email)
    if user is None or not user.is_active:
        return
    ttl = timedelta(minutes=_config(runtime).reset_token_minutes)
    token = await tokens.issue(
        session=session, user_id=user.id, email=user.email, purpose=Purpose.reset, ttl=ttl
    )
    message = reset_password_mail(runtime.mailer, to=user.email, token=token, ttl=ttl)
    send_after_commit(session, runtime.mailer, message)


async def reset_password(
    *, runtime: Runtime, session: AsyncSession, token: str, new_password: str
) -> None:
    """Set the password through a reset link; the users module's event revokes every session."""
    user = await _claim(session=session, token=token, purpose=Purpose.reset)
    await set_password(runtime=runtime, session=session, user_id=user.id, new_password=new_password)
    await tokens.retire_all(session=session, user_id=user.id, purpose=Purpose.reset)
    # Following a link mailed to the address proves it, as verifying would.
    await mark_verified(runtime=runtime, session=session, user_id=user.id)


async def send_verification_link(
    *, runtime: Runtime, session: AsyncSession, user: UserAccount
) -> None:
    """Mail `user` a link confirming their current address."""
    ttl = timedelta(hours=_config(runtime).verify_token_hours)
    token = await tokens.issue(
        session=session, user_id=user.id, email=user.email, purpose=Purpose.verify, ttl=ttl
    )
    message = verify_email_mail(runtime.mailer, to=user.email, token=token, ttl=ttl)
    send_after_commit(session, runtime.mailer, message)


async def request_verification(
    *, runtime: Runtime, session: AsyncSession, user_id: UUID, ip: str
) -> None:
    """For the signed-in user; AlreadyVerified when there is nothing to confirm."""
    user = await get_user(session=session, user_id=user_id)
    if user is None:
        raise InvalidActionToken()  # unreachable: the caller's token was just accepted
    await count_mail_request(runtime=runtime, email=user.email, ip=ip)
    if user.is_verified:
        raise AlreadyVerified()
    await send_verification_link(runtime=runtime, session=session, user=user)


async def resend_verification(*, runtime: Runtime, session: AsyncSession, email: str) -> None:
    """For someone who cannot sign in yet: mail only an active, unverified account."""
    user = await get_user_by_email(session=session, email=email)
    if user is None or not user.is_active or user.is_verified:
        return
    await send_verification_link(runtime=runtime, session=session, user=user)


async def verify_email(*, runtime: Runtime, session: AsyncSession, token: str) -> None:
    """Mark the address verified through a verification link."""
    user = await _claim(session=session, token=token, purpose=Purpose.verify)
    await mark_verified(runtime=runtime, session=session, user_id=user.id)
    await tokens.retire_all(session=session, user_id=user.id, purpose=Purpose.verify)


async def on_user_created(*, runtime: Runtime, session: AsyncSession, user_id: UUID) -> None:
    """Mail a verification link to a new account when `send_verification_on_register` is on."""
    if not _config(runtime).send_verification_on_register:
        return
    user = await get_user(session=session, user_id=user_id)
    if user is None or user.is_verified or not user.is_active:
        return
    await send_verification_link(runtime=runtime, session=session, user=user)


async def on_password_changed(*, runtime: Runtime, session: AsyncSession, user_id: UUID) -> None:
    """Spend outstanding reset links, and tell the owner once the change has committed.

    A reset link mailed before the change must not undo it; the notice (when
    `notify_password_change` is on) lets an owner notice a change they did not make.
    """
    await tokens.retire_all(session=session, user_id=user_id, purpose=Purpose.reset)
    if not _config(runtime).notify_password_change:
        return
    user = await get_user(session=session, user_id=user_id)
    if user is None:
        return
    message = password_changed_mail(runtime.mailer, to=user.email, changed_at=utcnow())
    send_after_commit(session, runtime.mailer, message)


async def _claim(*, session: AsyncSession, token: str, purpose: Purpose) -> UserAccount:
    """Spend the token and return its active user, whose address must still be the mailed one."""
    claimed = await tokens.consume(session=session, token=token, purpose=purpose)
    if claimed is None:
        raise InvalidActionToken()
    user_id, mailed_to = claimed
    user = await get_user(session=session, user_id=user_id)
    if user is None or not user.is_active or user.email != mailed_to:
        raise InvalidActionToken()
    return user
