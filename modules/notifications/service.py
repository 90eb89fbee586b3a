"""The messages a user's sockets receive, each published after its transaction commits."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from functools import partial
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from core import Runtime, on_commit

# Field names never shown, even by name alone, in `account.updated`.
_SECRET_FIELD = re.compile(r"password|secret|token|hash", re.IGNORECASE)
PENDING = "notifications.pending"  # the transaction's messages, in `session.info`
CLOSING = "session.revoked"  # sent last: a socket closes once it hears its own


def channel_of(user_id: UUID) -> str:
    """The pub/sub channel of one user's sockets."""
    return f"notifications:user:{user_id}"


def notify(
    *, runtime: Runtime, session: AsyncSession, user_id: UUID, message: Mapping[str, Any]
) -> None:
    """Send `message` (a JSON object with a `type`) to the user's sockets once `session` commits.

    Not at all if it rolls back: a client never hears of a change that did not happen.
    """
    if not isinstance(message.get("type"), str):
        raise ValueError("a notification needs a string `type`")
    pending: list[tuple[UUID, dict[str, Any]]] | None = session.info.get(PENDING)
    if pending is None:
        pending = session.info[PENDING] = []
        on_commit(session, partial(_publish, runtime, pending))
    pending.append((user_id, dict(message)))


async def _publish(runtime: Runtime, pending: list[tuple[UUID, dict[str, Any]]]) -> None:
    """The transaction's messages in order, revocations last: whatever a password change or a
    deactivation announces reaches a socket before the revocation that closes it."""
    for user_id, message in sorted(pending, key=lambda item: item[1]["type"] == CLOSING):
        await runtime.pubsub.publish(channel_of(user_id), message)


def session_revoked(
    *, runtime: Runtime, session: AsyncSession, user_id: UUID, session_ids: Collection[UUID]
) -> None:
    """`session.revoked`: each socket of a revoked session closes after receiving it."""
    revoked = sorted(str(session_id) for session_id in session_ids)
    message = {"type": CLOSING, "session_ids": revoked}
    notify(runtime=runtime, session=session, user_id=user_id, message=message)


def password_changed(*, runtime: Runtime, session: AsyncSession, user_id: UUID) -> None:
    """`password.changed`, by the user, an administrator or a reset."""
    notify(runtime=runtime, session=session, user_id=user_id, message={"type": "password.changed"})


def account_updated(
    *, runtime: Runtime, session: AsyncSession, user_id: UUID, changed: Collection[str]
) -> None:
    """`account.updated` naming the changed fields (never their values, never a secret's name)."""
    fields = sorted(name for name in changed if not _SECRET_FIELD.search(name))
    if fields:
        message = {"type": "account.updated", "fields": fields}
        notify(runtime=runtime, session=session, user_id=user_id, message=message)
