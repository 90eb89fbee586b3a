"""The mailer: SMTP delivery to a real local server, retries, the console default, shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from core.host import Host
from core.mail import Mailer, MailSettings, Message, UnsafeMailSettings, create_mailer
from core.mail.console import ConsoleTransport
from core.mail.smtp import SmtpTransport
from core.mail.templates import render
from core.settings import Settings
from core.testing import plugins
from core.testing.outbox import SmtpSink, bodies, free_port

TOKEN = "tok-3a9f-secret"
PASSWORD = "smtp-pass-do-not-log"

TEMPLATES = "tests.core.mail_templates"


def mail_settings(port: int, **extra: Any) -> MailSettings:
    return MailSettings(
        _env_file=None,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_tls=False,
        smtp_timeout=5,
        emails_from_email="noreply@trellis.test",
        **extra,
    )


def smtp_mailer(port: int, *, attempts: int = 3, **extra: Any) -> Mailer:
    return Mailer(SmtpTransport(mail_settings(port, **extra)), attempts=attempts, retry_delay=0.05)


def message(to: str = "ada@example.com") -> Message:
    return Message(
        to=to,
        subject="Reset your password",
        text=f"Open http://app/reset-password?token={TOKEN}",
        html=f'<a href="http://app/reset-password?token={TOKEN}">Reset</a>',
    )


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink().start()
    yield server
    server.stop()


async def test_smtp_delivers_text_and_html(sink: SmtpSink) -> None:
    mailer = smtp_mailer(sink.port)
    await mailer.send(message())
    assert await mailer.drain(5)

    [delivered] = sink.messages
    assert delivered["From"] == "Trellis <noreply@trellis.test>"
    assert delivered["To"] == "ada@example.com"
    assert delivered["Subject"] == "Reset your password"
    assert delivered["Message-ID"].endswith("@trellis.test>")
    assert delivered["Date"]
    assert delivered.get_content_type() == "multipart/alternative"
    text, html = bodies(delivered)
    assert f"token={TOKEN}" in text
    assert f"token={TOKEN}" in html


async def test_smtp_logs_in_with_the_configured_credentials() -> None:
    server = SmtpSink(login=("mailer", PASSWORD)).start()
    try:
        mailer = smtp_mailer(server.port, smtp_user="mailer", smtp_password=PASSWORD)
        await mailer.send(message())
        assert await mailer.drain(5)
        assert len(server.messages) == 1

        refused = smtp_mailer(server.port, attempts=1, smtp_user="mailer", smtp_password="wrong")
        await refused.send(message("bob@example.com"))
        assert await refused.drain(5)
        assert server.to("bob@example.com") == []
    finally:
        server.stop()


async def test_send_returns_while_a_slow_server_is_still_receiving(sink: SmtpSink) -> None:
    sink.hold.clear()  # the server takes the message but does not answer yet
    mailer = smtp_mailer(sink.port)

    await mailer.send(message())

    assert await asyncio.to_thread(sink.arrived.wait, 5)
    assert mailer.pending == 1
    assert sink.messages == []
    sink.hold.set()
    assert await mailer.drain(5)
    assert len(sink.messages) == 1


class FlakyTransport(SmtpTransport):
    """Counts attempts and signals the first failure, so the test can start the server then."""

    def __init__(self, settings: MailSettings) -> None:
        super().__init__(settings)
        self.attempts = 0
        self.failed = asyncio.Event()

    async def deliver(self, message: Message) -> None:
        self.attempts += 1
        try:
            await super().deliver(message)
        except OSError:
            self.failed.set()
            raise


async def test_retries_until_the_server_comes_up(caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    transport = FlakyTransport(mail_settings(port))
    mailer = Mailer(transport, attempts=5, retry_delay=0.2)

    await mailer.send(message())
    await asyncio.wait_for(transport.failed.wait(), 5)  # refused: nothing listens yet
    server = SmtpSink(port=port).start()
    try:
        assert await mailer.drain(10)
    finally:
        server.stop()

    assert len(server.messages) == 1
    assert transport.attempts >= 2
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_final_failure_is_logged_without_body_or_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    mailer = smtp_mailer(free_port(), attempts=2, smtp_user="mailer", smtp_password=PASSWORD)

    with caplog.at_level(logging.INFO, logger="trellis.mail"):
        await mailer.send(message())
        assert await mailer.drain(5)

    [record] = [r for r in caplog.records if r.name == "trellis.mail"]
    assert record.levelno == logging.ERROR
    assert "ada@example.com" in record.getMessage()
    assert "Reset your password" in record.getMessage()
    assert "after 2 attempts" in record.getMessage()
    assert TOKEN not in caplog.text
    assert PASSWORD not in caplog.text


async def test_console_backend_is_the_default_and_logs_the_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    mailer = create_mailer(MailSettings(_env_file=None))
    assert isinstance(mailer.transport, ConsoleTransport)

    with caplog.at_level(logging.INFO, logger="trellis.mail"):
        await mailer.send(message())
        assert await mailer.drain(1)

    [record] = [r for r in caplog.records if r.name == "trellis.mail"]
    assert "ada@example.com" in record.getMessage()
    assert "Reset your password" in record.getMessage()
    assert f"token={TOKEN}" in record.getMessage()


async def test_production_console_backend_logs_no_body(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="trellis.mail"):
        mailer = create_mailer(MailSettings(_env_file=None), production=True)
        await mailer.send(message())
        assert await mailer.drain(1)

    assert isinstance(mailer.transport, ConsoleTransport)
    assert "SMTP_HOST is not set" in caplog.text  # said once at start-up, and per message
    assert "ada@example.com" in caplog.text
    assert TOKEN not in caplog.text
    assert "reset-password" not in caplog.text


@pytest.mark.parametrize(
    ("values", "refused"),
    [
        ({"smtp_host": "mail.example.com", "smtp_tls": False}, True),
        ({"smtp_host": "mail.example.com", "smtp_tls": True}, False),
        ({"smtp_host": "mail.example.com", "smtp_tls": False, "smtp_ssl": True}, False),
        ({"smtp_host": "127.0.0.1", "smtp_tls": False}, False),
        ({"smtp_host": "localhost", "smtp_tls": False}, False),
    ],
)
def test_production_refuses_smtp_credentials_in_clear_text(
    values: dict[str, Any], refused: bool
) -> None:
    settings = MailSettings(
        _env_file=None,
        smtp_user="mailer",
        smtp_password=PASSWORD,
        emails_from_email="noreply@trellis.test",
        **values,
    )
    create_mailer(settings)  # development lets anything through
    if not refused:
        assert isinstance(create_mailer(settings, production=True).transport, SmtpTransport)
        return
    with pytest.raises(UnsafeMailSettings, match="clear text") as error:
        create_mailer(settings, production=True)
    assert PASSWORD not in str(error.value)


async def test_close_waits_then_cancels_what_is_stuck(
    sink: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    sink.hold.clear()
    mailer = smtp_mailer(sink.port)
    await mailer.send(message())

    await mailer.close(timeout=0.2)

    assert mailer.pending == 0
    assert "1 undelivered" in caplog.text
    with pytest.raises(RuntimeError, match="closed"):
        await mailer.send(message())
    sink.hold.set()  # the worker thread outlives the cancelled task: let it finish
    await sink.wait_for("ada@example.com")


async def test_deliver_sends_at_once_and_raises_without_retrying(sink: SmtpSink) -> None:
    await smtp_mailer(sink.port).deliver(message())
    assert len(sink.messages) == 1  # taken before `deliver` returned

    down = smtp_mailer(free_port())
    with pytest.raises(ConnectionRefusedError):
        await down.deliver(message())
    assert down.pending == 0  # the caller retries, not the mailer


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_HOST", "mail.example.com")
    monkeypatch.setenv("SMTP_PORT", "2525")
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    monkeypatch.setenv("EMAILS_FROM_EMAIL", "hello@example.com")
    monkeypatch.setenv("FRONTEND_URL", "https://app.example.com/")

    settings = MailSettings(_env_file=None)

    assert (settings.smtp_host, settings.smtp_port, settings.smtp_tls) == (
        "mail.example.com",
        2525,
        True,
    )
    assert PASSWORD not in repr(settings)
    mailer = create_mailer(settings)
    assert isinstance(mailer.transport, SmtpTransport)
    assert mailer.link("/verify-email", token="a b&c") == (
        "https://app.example.com/verify-email?token=a+b%26c"
    )


@pytest.mark.parametrize(
    ("values", "error"),
    [
        ({"smtp_tls": True, "smtp_ssl": True}, "cannot both"),
        ({"smtp_host": "mail.example.com"}, "EMAILS_FROM_EMAIL"),
    ],
)
def test_inconsistent_settings_are_refused(values: dict[str, Any], error: str) -> None:
    with pytest.raises(ValidationError, match=error):
        MailSettings(_env_file=None, **values)


def test_templates_escape_values_for_html_only() -> None:
    link = "https://app/reset-password?token=a&b=<x>"
    rendered = render("sample", package=TEMPLATES, project="Trellis", link=link)

    assert rendered.text == f"Hello from Trellis: {link}\n"
    assert rendered.html is not None
    assert 'href="https://app/reset-password?token=a&amp;b=&lt;x&gt;"' in rendered.html
    text_only = render("text_only", package=TEMPLATES, project="Trellis")
    assert (text_only.text, text_only.html) == ("Only text for Trellis.\n", None)
    with pytest.raises(ValueError, match="invalid template name"):
        render("../settings", package=TEMPLATES)
    with pytest.raises(LookupError, match="no mail template 'missing'"):
        render("missing", package=TEMPLATES)


async def test_runtime_builds_and_closes_the_mailer(sink: SmtpSink, tmp_path: Path) -> None:
    settings = Settings(_env_file=None, var_dir=tmp_path, secret_key="k" * 40)
    host = Host.load(tmp_path / "plugins.toml", config=plugins(["health"]))
    runtime = host.runtime(settings, mail=mail_settings(sink.port))
    assert isinstance(runtime.mailer.transport, SmtpTransport)

    await runtime.mailer.send(message())
    await runtime.close()  # drains before the engine goes

    assert len(sink.messages) == 1
