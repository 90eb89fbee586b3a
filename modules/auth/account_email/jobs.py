"""Work run after the response is sent, each in its own transaction.

The anonymous endpoints answer before looking the address up, so their response time
cannot tell whether an account exists; the lookup, token and mail happen here.
"""

from __future__ import annotations

import logging
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from core import Runtime
from modules.auth.account_email import service

log = logging.getLogger("trellis.auth")


class Flow(Protocol):
    async def __call__(self, *, runtime: Runtime, session: AsyncSession, email: str) -> None: ...


async def mail_reset_link(runtime: Runtime, email: str) -> None:
    await _run(runtime, service.send_reset_link, email, name="reset link")


async def mail_verification_link(runtime: Runtime, email: str) -> None:
    await _run(runtime, service.resend_verification, email, name="verification link")


async def _run(runtime: Runtime, flow: Flow, email: str, *, name: str) -> None:
    # Nobody waits for an answer any more: a failure can only be logged.
    try:
        async with runtime.transaction() as session:
            await flow(runtime=runtime, session=session, email=email)
    except Exception:
        log.exception("mailing a %s failed", name)
