"""SMTP delivery with the standard library, run in a worker thread so the loop never blocks."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

from core.mail.message import Message
from core.mail.settings import MailSettings


class SmtpTransport:
    """One connection per message: mail here is rare (sign-up, recovery), pooling buys nothing."""

    def __init__(self, settings: MailSettings) -> None:
        if not settings.smtp_host or not settings.emails_from_email:
            raise ValueError("SmtpTransport needs SMTP_HOST and EMAILS_FROM_EMAIL")
        self._settings = settings
        self._host = settings.smtp_host
        self._sender = formataddr((settings.emails_from_name, settings.emails_from_email))
        self._domain = settings.emails_from_email.rpartition("@")[2] or None

    def build(self, message: Message) -> EmailMessage:
        """multipart/alternative (text, then HTML) when there is HTML, else plain text."""
        email = EmailMessage()  # its default policy refuses CR/LF in headers (no injection)
        email["From"] = self._sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email["Date"] = formatdate(usegmt=True)
        email["Message-ID"] = make_msgid(domain=self._domain)
        email.set_content(message.text)
        if message.html is not None:
            email.add_alternative(message.html, subtype="html")
        return email

    async def deliver(self, message: Message) -> None:
        await asyncio.to_thread(self._send, self.build(message))

    def _send(self, email: EmailMessage) -> None:
        s = self._settings
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if s.smtp_ssl:
            client = smtplib.SMTP_SSL(
                self._host, s.smtp_port, timeout=s.smtp_timeout, context=context
            )
        else:
            client = smtplib.SMTP(self._host, s.smtp_port, timeout=s.smtp_timeout)
        with client:
            if s.smtp_tls:
                client.starttls(context=context)
            if s.smtp_user:
                password = s.smtp_password.get_secret_value() if s.smtp_password else ""
                client.login(s.smtp_user, password)
            client.send_message(email)
