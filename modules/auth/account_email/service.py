"""The flows: have a reset or verification link mailed, and act on a followed link.

Nothing commits, and nothing is mailed from here: a flow enqueues a task of `tasks` in the
caller's transaction, so a mail leaves only if that commits, and leaves even if the mail
server is down at that moment.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from core import Runtime, utcnow
from modules.auth.account_email import tokens
from modules.auth.account_email.exceptions import AlreadyVerified, InvalidActionToken
from modules.auth.account_email.limits import count_mail_request
from modules.auth.account_email.models import Purpose
from modules.auth.account_email.tasks import CHANGE_NOTICE, RESET_LINK, VERIFICATION_LINK
from modules.auth.config import AuthConfig
from modules.users import UserAccount, get_user, mark_verified, set_password


def _config(runtime: Runtime) -> AuthConfig:
    return runtime.settings_for(AuthConfig)


async def request_reset_link(*, runtime: Runtime, session: AsyncSession, email: str) -> None:
    """Have a reset link mailed if an active account uses `email`.

    The task looks the address up, so this request costs the same whether or not it exists.
    """
    await runtime.tasks.enqueue(session, RESET_LINK, email=email)


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
    """Have `user` mailed a link confirming their current address."""
    await runtime.tasks.enqueue(session, VERIFICATION_LINK, email=user.email, user_id=str(user.id))


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
    """For someone who cannot sign in yet: the task mails only an active, unverified account.

    Enqueued whatever the address, as `request_reset_link` is.
    """
    await runtime.tasks.enqueue(session, VERIFICATION_LINK, email=email)


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
    """Spend outstanding reset links, and have the owner told once the change has committed.

    A reset link mailed before the change must not undo it; the notice (when
    `notify_password_change` is on) lets an owner notice a change they did not make.
    """
    await tokens.retire_all(session=session, user_id=user_id, purpose=Purpose.reset)
    if not _config(runtime).notify_password_change:
        return
    user = await get_user(session=session, user_id=user_id)
    if user is None:
        return
    await runtime.tasks.enqueue(
        session,
        CHANGE_NOTICE,
        user_id=str(user_id),
        email=user.email,
        changed_at=utcnow().isoformat(),
    )


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
