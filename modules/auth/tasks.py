"""The auth module's background tasks: the account mails, and the daily prune."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core import Runtime, Task
from modules.auth.account_email.tasks import account_mail_tasks
from modules.auth.config import AuthConfig
from modules.auth.prune import prune

log = logging.getLogger(__name__)


async def prune_on_schedule(runtime: Runtime, session: AsyncSession) -> None:
    """`trellis auth prune` with the configured `prune_older_than_days`."""
    days = runtime.settings_for(AuthConfig).prune_older_than_days
    pruned = await prune(session=session, older_than=timedelta(days=days))
    log.info(
        "pruned %d session(s), %d refresh token(s), %d action token(s)",
        pruned.sessions,
        pruned.refresh_tokens,
        pruned.action_tokens,
    )


def auth_tasks() -> list[Task]:
    return [
        *account_mail_tasks(),
        Task("auth.prune", run=prune_on_schedule, every=timedelta(days=1)),
    ]
