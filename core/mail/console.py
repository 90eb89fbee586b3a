"""The embedded default: write each message to the log instead of sending it."""

from __future__ import annotations

import logging

from core.mail import Message

log = logging.getLogger("trellis.mail")


class ConsoleTransport:
    """For development: the text body (links and tokens included) lands in the log."""

    async def deliver(self, message: Message) -> None:
        log.info(
            "mail to %s, subject %r (console backend)\n%s",
            message.to,
            message.subject,
            message.text,
        )
