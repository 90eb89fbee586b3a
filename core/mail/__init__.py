"""Outgoing e-mail, sent off the request path: a slow mail server never stalls a response.

`Mailer.send` only schedules delivery; a background task hands the message to the transport
(SMTP, or the console when `SMTP_HOST` is unset) and retries with exponential backoff.
`Mailer.deliver` sends at once and raises, for a caller whose own retry must be the only one
(a task of `core.tasks`). Logs name the recipient and subject only: bodies carry single-use
tokens.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlencode

from core.mail.message import Message, Transport
from core.mail.settings import MailSettings, UnsafeMailSettings

__all__ = ["MailSettings", "Mailer", "Message", "Transport", "UnsafeMailSettings", "create_mailer"]

log = logging.getLogger("trellis.mail")


class Mailer:
    """Schedules deliveries as tasks kept here, so shutdown can wait for them."""

    def __init__(
        self,
        transport: Transport,
        *,
        frontend_url: str = "http://localhost:5173",
        project: str = "Trellis",
        attempts: int = 3,
        retry_delay: float = 1.0,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.transport = transport
        self.frontend_url = frontend_url.rstrip("/")
        self.project = project  # how mails name the product (EMAILS_FROM_NAME)
        self._attempts = attempts
        self._retry_delay = retry_delay
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    def link(self, path: str, **query: str) -> str:
        """A frontend URL for a mail, e.g. `link("/verify-email", token=...)`, query encoded."""
        url = f"{self.frontend_url}/{path.lstrip('/')}"
        return f"{url}?{urlencode(query)}" if query else url

    async def send(self, message: Message) -> None:
        """Schedule delivery and return at once."""
        if self._closed:
            raise RuntimeError("the mailer is closed")
        task = asyncio.get_running_loop().create_task(self._deliver(message), name="trellis-mail")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def deliver(self, message: Message) -> None:
        """Deliver now, raising on failure: for callers that retry on their own (a task)."""
        await self.transport.deliver(message)

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def _deliver(self, message: Message) -> None:
        for attempt in range(1, self._attempts + 1):
            try:
                await self.transport.deliver(message)
            except Exception as error:  # any failure is retried; cancellation is not caught
                if attempt == self._attempts:
                    log.error(
                        "mail to %s, subject %r, failed after %d attempts: %s: %s",
                        message.to,
                        message.subject,
                        attempt,
                        type(error).__name__,
                        error,
                    )
                    return
                await asyncio.sleep(self._retry_delay * 2 ** (attempt - 1))
            else:
                return

    # A budget, not a cancellation (ASYNC109): running out returns False rather than raising.
    async def drain(self, timeout: float | None = None) -> bool:  # noqa: ASYNC109
        """Wait for pending deliveries (retries included); False if some outlived `timeout`."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self._tasks:
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return False
            await asyncio.wait(set(self._tasks), timeout=remaining)
        return True

    async def close(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Refuse new mail, finish what is pending, and cancel what is still running after."""
        self._closed = True
        if await self.drain(timeout):
            return
        stuck = set(self._tasks)
        log.warning("shutting down with %d undelivered mail(s)", len(stuck))
        for task in stuck:
            task.cancel()
        await asyncio.gather(*stuck, return_exceptions=True)


def create_mailer(settings: MailSettings, *, production: bool = False) -> Mailer:
    """SMTP when `SMTP_HOST` is set, else the console backend.

    In production the console backend logs no bodies (they carry account tokens), and SMTP
    credentials must not cross the network in clear text (`UnsafeMailSettings`).
    """
    transport: Transport
    if settings.smtp_host:
        from core.mail.smtp import SmtpTransport

        if production:
            settings.refuse_cleartext_login()
        transport = SmtpTransport(settings)
    else:
        from core.mail.console import ConsoleTransport

        if production:
            log.warning(
                "SMTP_HOST is not set: mail (password reset, e-mail verification) is not sent,"
                " only its recipient and subject are logged"
            )
        transport = ConsoleTransport(show_body=not production)
    return Mailer(transport, frontend_url=settings.frontend_url, project=settings.emails_from_name)
