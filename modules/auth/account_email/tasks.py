"""The account mails as background tasks: a request enqueues one, the task writes and sends it.

Arguments are addresses, ids and times, never a token: they are stored in the outbox and
named in logs. A link's token is made here and stored in the transaction that marks the task
done, after the mail server has taken the message: a failed delivery stores nothing (and does
not hold the database while the mail server is slow), and the retry mails a fresh token. Only a
crash between delivery and commit can mail a link twice, the first one dead.

The mailer delivers at once and raises, so the task's retry policy is the only retry; it
outlasts a mail server that is down for minutes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from core import Mailer, Message, Runtime, Task
from modules.auth.account_email import tokens
from modules.auth.account_email.mails import (
    password_changed_mail,
    reset_password_mail,
    verify_email_mail,
)
from modules.auth.account_email.models import Purpose
from modules.auth.config import AuthConfig
from modules.users import UserAccount, get_user, get_user_by_email

RESET_LINK = "auth.mail_reset_link"
VERIFICATION_LINK = "auth.mail_verification_link"
CHANGE_NOTICE = "auth.mail_password_changed"


class LinkMail(Protocol):
    """Writes a mail carrying a link with `token` (`mails.reset_password_mail` and its kin)."""

    def __call__(self, mailer: Mailer, *, to: str, token: str, ttl: timedelta) -> Message: ...


async def mail_reset_link(runtime: Runtime, session: AsyncSession, *, email: str) -> None:
    """Mail a reset link when an active account uses `email` now; otherwise nothing."""
    user = await get_user_by_email(session=session, email=email)
    if user is None or not user.is_active:
        return
    ttl = timedelta(minutes=runtime.settings_for(AuthConfig).reset_token_minutes)
    await _mail_link(runtime, session, user, Purpose.reset, ttl, reset_password_mail)


async def mail_verification_link(
    runtime: Runtime, session: AsyncSession, *, email: str, user_id: str | None = None
) -> None:
    """Mail a confirmation link to `email` if its account is still active, unverified, and on it.

    `user_id` names the account when it is known (signed in, just registered); otherwise
    whichever account uses `email` now.
    """
    user: UserAccount | None
    if user_id is None:
        user = await get_user_by_email(session=session, email=email)
    else:
        user = await get_user(session=session, user_id=UUID(user_id))
    if user is None or not user.is_active or user.is_verified:
        return
    if user.email.lower() != email.lower():
        return  # the address changed since: a link to the old one could not be used
    ttl = timedelta(hours=runtime.settings_for(AuthConfig).verify_token_hours)
    await _mail_link(runtime, session, user, Purpose.verify, ttl, verify_email_mail)


async def _mail_link(
    runtime: Runtime,
    session: AsyncSession,
    user: UserAccount,
    purpose: Purpose,
    ttl: timedelta,
    compose: LinkMail,
) -> None:
    """Deliver a fresh link to `user`, then store its token (only once the server took it)."""
    token = tokens.new_token()
    await runtime.mailer.deliver(compose(runtime.mailer, to=user.email, token=token, ttl=ttl))
    await tokens.issue(
        session=session, token=token, user_id=user.id, email=user.email, purpose=purpose, ttl=ttl
    )


async def mail_password_changed(
    runtime: Runtime, session: AsyncSession, *, user_id: str, email: str, changed_at: str
) -> None:
    """Tell the address the account had when its password changed, while the account exists.

    That address, not a newer one: whoever changed the password may have changed it too.
    """
    if await get_user(session=session, user_id=UUID(user_id)) is None:
        return
    when = datetime.fromisoformat(changed_at)
    await runtime.mailer.deliver(password_changed_mail(runtime.mailer, to=email, changed_at=when))


def account_mail_tasks() -> list[Task]:
    """The three mails, each with the same retry policy."""
    mails: dict[str, Callable[..., Awaitable[None]]] = {
        RESET_LINK: mail_reset_link,
        VERIFICATION_LINK: mail_verification_link,
        CHANGE_NOTICE: mail_password_changed,
    }
    # Ten retries, from 2 s doubling up to a minute apart: about six minutes of outage.
    return [
        Task(name, run=run, retries=10, backoff=2.0, backoff_max=60.0)
        for name, run in mails.items()
    ]
