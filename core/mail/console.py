"""The embedded default: write each message to the log instead of sending it."""

from __future__ import annotations

import logging

from core.mail.message import Message

log = logging.getLogger("trellis.mail")


class ConsoleTransport:
    """For development: the text body (links and tokens included) lands in the log.

    With `show_body=False` (production without SMTP) only the recipient and subject are
    logged: a body carries a single-use reset or verification token, and logs are read by
    more people, and kept longer, than the mailbox it was meant for.
    """

    def __init__(self, *, show_body: bool = True) -> None:
        self.show_body = show_body

    async def deliver(self, message: Message) -> None:
        if not self.show_body:
            log.warning(
                "mail to %s, subject %r, not sent: SMTP_HOST is not set (body withheld)",
                message.to,
                message.subject,
            )
            return
        log.info(
            "mail to %s, subject %r (console backend)\n%s",
            message.to,
            message.subject,
            message.text,
        )
