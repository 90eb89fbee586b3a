"""Mail that leaves only when the transaction commits: never mail a token that was rolled back."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from core.mail import Mailer, Message

_OUTBOX = "trellis.mail.outbox"
_LISTENING = "trellis.mail.listening"


def send_after_commit(session: AsyncSession, mailer: Mailer, message: Message) -> None:
    """Queue `message` on `session`: handed to `mailer` after commit, dropped on rollback."""
    info = session.sync_session.info
    if not info.get(_LISTENING):
        # Listeners stay for the session's life (removing one while SQLAlchemy dispatches
        # the event is unsafe); each transaction starts with an empty outbox.
        event.listen(session.sync_session, "after_commit", _flush)
        event.listen(session.sync_session, "after_rollback", _discard)
        info[_LISTENING] = True
    info.setdefault(_OUTBOX, []).append((mailer, message))


def _flush(session: Session) -> None:
    for mailer, message in session.info.pop(_OUTBOX, []):
        mailer.send_nowait(message)


def _discard(session: Session) -> None:
    session.info.pop(_OUTBOX, None)
