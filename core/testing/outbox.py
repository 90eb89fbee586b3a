"""A real SMTP server for tests: aiosmtpd on a free loopback port, in its own thread."""

from __future__ import annotations

import asyncio
import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class SmtpSink:
    """Collects delivered messages; `hold.clear()` makes it stall before accepting DATA."""

    def __init__(self, *, port: int | None = None, login: tuple[str, str] | None = None) -> None:
        self.port = port or free_port()
        self.messages: list[EmailMessage] = []
        self.hold = threading.Event()
        self.hold.set()
        self.arrived = threading.Event()
        self._login = login
        # AUTH without TLS, as on loopback; handle_DATA refuses unauthenticated senders.
        auth: dict[str, Any] = (
            {"authenticator": self._authenticate, "auth_require_tls": False} if login else {}
        )
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **auth)

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self.hold.set()
        self._controller.stop()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self._login and not session.authenticated:
            return "530 5.7.0 Authentication required"
        self.arrived.set()
        await asyncio.to_thread(self.hold.wait, 30)
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and self._login == (
            data.login.decode(),
            data.password.decode(),
        )
        return AuthResult(success=ok, handled=False)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    async def wait_for(self, address: str, count: int = 1, within: float = 5.0) -> EmailMessage:
        """The `count`-th message to `address`, polling for `within` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while len(self.to(address)) < count:
            if loop.time() > deadline:
                raise AssertionError(f"no mail #{count} to {address} within {within}s")
            await asyncio.sleep(0.02)
        return self.to(address)[count - 1]


def bodies(message: EmailMessage) -> tuple[str, str]:
    """The text and HTML parts of a multipart/alternative message."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    return str(text.get_content()), str(html.get_content())
