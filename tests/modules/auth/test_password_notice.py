"""The "your password was changed" notice, delivered through a real SMTP server after commit."""

from __future__ import annotations

import re
from types import ModuleType
from uuid import UUID

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from core import ModuleInfo, hookimpl
from core.errors import ProblemError
from core.runtime import Runtime
from core.settings import Settings
from core.testing import task_rows, tasks_settled
from core.testing.outbox import SmtpSink, bodies
from modules.auth.account_email.tasks import CHANGE_NOTICE

from .support import (
    FRONTEND,
    ME,
    PASSWORD,
    app_and_client,
    bearer,
    login,
    register,
    runtime_of,
    tokens,
)

EMAIL = "ann@example.com"
NEW_PASSWORD = "a brand new passphrase"
SUBJECT = "Your Trellis password was changed"


async def change_password(
    client: httpx.AsyncClient, current: str = PASSWORD, new: str = NEW_PASSWORD
) -> httpx.Response:
    headers = bearer((await tokens(client, EMAIL))["access_token"])
    body = {"current_password": current, "new_password": new}
    return await client.post(f"{ME}/password", json=body, headers=headers)


def assert_notice(sink: SmtpSink) -> None:
    """Exactly one message to EMAIL: the notice, naming the account, with no link or token."""
    [mail] = sink.to(EMAIL)
    assert mail["Subject"] == SUBJECT
    text, html = bodies(mail)
    assert EMAIL in text
    assert EMAIL in html
    for body in (text, html):
        assert "token" not in body.lower()
        assert FRONTEND not in body
        assert not re.search(r"https?://", body)


async def test_a_password_change_mails_one_notice_without_a_link(
    sink: SmtpSink, settings: Settings
) -> None:
    async with app_and_client(settings) as (app, client):
        await register(client, EMAIL)

        assert (await change_password(client)).status_code == 204

        await sink.wait_for(EMAIL)
        await tasks_settled(runtime_of(app))
    assert_notice(sink)


async def test_a_failed_change_mails_nothing(sink: SmtpSink, settings: Settings) -> None:
    async with app_and_client(settings) as (app, client):
        await register(client, EMAIL)

        wrong = await change_password(client, current="not the password")
        rejected = await change_password(client, new="short")

        assert (wrong.status_code, rejected.status_code) == (400, 422)
        await tasks_settled(runtime_of(app))
    assert sink.messages == []


async def test_a_reset_mails_the_notice_after_the_link(sink: SmtpSink, settings: Settings) -> None:
    async with app_and_client(settings) as (app, client):
        await register(client, EMAIL)
        await client.post("/api/v1/auth/forgot-password", json={"email": EMAIL})
        link = await sink.wait_for(EMAIL)
        await tasks_settled(runtime_of(app))  # the link's token commits with its task
        token = re.search(r"token=(\S+)", bodies(link)[0])
        assert token
        reset = await client.post(
            "/api/v1/auth/reset-password",
            json={"token": token[1], "new_password": NEW_PASSWORD},
        )
        assert reset.status_code == 204

        notice = await sink.wait_for(EMAIL, 2)
        await tasks_settled(runtime_of(app))
    assert notice["Subject"] == SUBJECT
    assert len(sink.to(EMAIL)) == 2


class Frozen(ProblemError):
    status = 409
    title = "Frozen"


def freezing_module() -> ModuleType:
    """Refuses every password change from its hook, which runs after auth's (it requires auth)."""
    plugin = ModuleType("freeze")

    @hookimpl
    def module_info() -> ModuleInfo:
        return ModuleInfo(name="freeze", version="0.1", requires=("auth",))

    @hookimpl
    async def user_password_changed(runtime: Runtime, session: AsyncSession, user_id: UUID) -> None:
        raise Frozen("Passwords are frozen.")

    for name in ("module_info", "user_password_changed"):
        setattr(plugin, name, locals()[name])
    return plugin


async def test_a_change_that_rolls_back_mails_nothing(sink: SmtpSink, settings: Settings) -> None:
    frozen = app_and_client(settings, extra_modules=["freeze"], extra_plugins=[freezing_module()])
    async with frozen as (app, client):
        await register(client, EMAIL)

        assert (await change_password(client)).status_code == 409

        await tasks_settled(runtime_of(app))
        assert await task_rows(runtime_of(app), CHANGE_NOTICE) == []  # nothing was enqueued
        assert (await login(client, EMAIL)).status_code == 200  # the old password stands
    assert sink.messages == []


async def test_the_notice_can_be_switched_off(sink: SmtpSink, settings: Settings) -> None:
    async with app_and_client(settings, {"notify_password_change": False}) as (app, client):
        await register(client, EMAIL)

        assert (await change_password(client)).status_code == 204

        await tasks_settled(runtime_of(app))
    assert sink.messages == []
