"""Account e-mail over HTTP, delivered through a real SMTP server: reset and verification links."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import parse_qs

import httpx
import pytest
from sqlalchemy import update

from core.db import create_engine
from core.settings import Environment, Settings
from core.testing import ClientFactory, TrellisClient, tasks_settled
from core.testing.outbox import SmtpSink, bodies
from core.timestamps import utcnow
from modules.auth.account_email.models import ActionToken

from .support import (
    FRONTEND,
    ME,
    MODULES,
    PASSWORD,
    app_and_client,
    bearer,
    deactivate,
    login,
    module_settings,
    refresh,
    register,
    runtime_of,
    tokens,
)

NEW_PASSWORD = "a brand new passphrase"
FORGOT = "/api/v1/auth/forgot-password"
RESET = "/api/v1/auth/reset-password"
VERIFY = "/api/v1/auth/verify"
MAYBE_SENT = {"detail": "If an account uses this address, a message is on its way."}
BAD_LINK = "This link is invalid, has expired or was already used."


@pytest.fixture
async def client(make_client: ClientFactory, sink: SmtpSink) -> AsyncIterator[TrellisClient]:
    async with make_client(MODULES, module_settings()) as client:
        yield client


def link_token(message: EmailMessage, path: str) -> str:
    """The token of the link in the text part, after checking the HTML part carries it too."""
    text, html = bodies(message)
    match = re.search(rf"{re.escape(FRONTEND + path)}\?(\S+)", text)
    assert match, text
    [token] = parse_qs(match[1])["token"]
    assert f'href="{FRONTEND}{path}?token={token}"' in html
    return token


async def mailed(client: TrellisClient, sink: SmtpSink, email: str, nth: int = 1) -> EmailMessage:
    """The `nth` mail to `email`, once its task is done: a link's token commits just after."""
    message = await sink.wait_for(email, nth)
    await tasks_settled(client.runtime)
    return message


async def reset_token(client: TrellisClient, sink: SmtpSink, email: str, nth: int = 1) -> str:
    response = await client.post(FORGOT, json={"email": email})
    assert response.status_code == 202, response.text
    return link_token(await mailed(client, sink, email, nth), "/reset-password")


async def reset(
    client: httpx.AsyncClient, token: str, password: str = NEW_PASSWORD
) -> httpx.Response:
    return await client.post(RESET, json={"token": token, "new_password": password})


def assert_bad_link(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == BAD_LINK


async def test_reset_works_once_and_ends_every_session(
    client: TrellisClient, sink: SmtpSink
) -> None:
    await register(client, "ann@example.com")
    pair = await tokens(client, "ann@example.com")

    response = await client.post(FORGOT, json={"email": "ANN@example.com"})
    assert response.status_code == 202
    assert response.json() == MAYBE_SENT
    mail = await mailed(client, sink, "ann@example.com")
    assert mail["From"] == "Trellis <noreply@trellis.test>"
    assert mail["Subject"] == "Reset your Trellis password"
    token = link_token(mail, "/reset-password")

    assert (await reset(client, token)).status_code == 204

    assert (await client.get(ME, headers=bearer(pair["access_token"]))).status_code == 401
    assert (await refresh(client, pair["refresh_token"])).status_code == 401
    assert (await login(client, "ann@example.com")).status_code == 401
    assert (await login(client, "ann@example.com", NEW_PASSWORD)).status_code == 200
    assert_bad_link(await reset(client, token, "yet another passphrase"))


async def test_expired_used_and_made_up_tokens_get_one_answer(
    client: TrellisClient, sink: SmtpSink, settings: Settings
) -> None:
    await register(client, "ann@example.com")
    expired = await reset_token(client, sink, "ann@example.com")
    engine = create_engine(settings)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                update(ActionToken).values(expires_at=utcnow() - timedelta(seconds=1))
            )
    finally:
        await engine.dispose()

    assert_bad_link(await reset(client, expired))
    assert_bad_link(await reset(client, "made-up-token"))
    used = await reset_token(client, sink, "ann@example.com", nth=2)
    assert (await reset(client, used)).status_code == 204
    assert_bad_link(await reset(client, used))
    assert_bad_link(await client.post(VERIFY, json={"token": used}))  # wrong purpose


async def test_a_rejected_password_does_not_spend_the_token(
    client: TrellisClient, sink: SmtpSink
) -> None:
    await register(client, "ann@example.com")
    token = await reset_token(client, sink, "ann@example.com")

    short = await reset(client, token, "short")
    assert short.status_code == 422
    assert short.json()["errors"][0]["field"] == "new_password"
    assert (await reset(client, token)).status_code == 204


async def test_one_token_resets_once_under_concurrency(
    client: TrellisClient, sink: SmtpSink
) -> None:
    await register(client, "ann@example.com")
    token = await reset_token(client, sink, "ann@example.com")

    responses = await asyncio.gather(*(reset(client, token) for _ in range(8)))

    assert sorted(r.status_code for r in responses) == [204] + [400] * 7


async def test_unknown_and_inactive_addresses_get_the_same_answer_and_no_mail(
    with_admin: str, client: TrellisClient, sink: SmtpSink
) -> None:  # with_admin first: the superuser is created when the app starts
    await register(client, "ann@example.com")
    await deactivate(client, await register(client, "gone@example.com"), admin_email=with_admin)

    unknown = await client.post(FORGOT, json={"email": "nobody@example.com"})
    inactive = await client.post(FORGOT, json={"email": "gone@example.com"})
    known = await client.post(FORGOT, json={"email": "ann@example.com"})

    for response in (unknown, inactive, known):
        assert response.status_code == 202
        assert response.json() == MAYBE_SENT
    await mailed(client, sink, "ann@example.com")  # and every task done
    assert [m["To"] for m in sink.messages] == ["ann@example.com"]


async def test_mail_requests_are_limited_per_address(
    make_client: ClientFactory, sink: SmtpSink
) -> None:
    limits = module_settings(account_mail_rate_per_address="2/hour")
    async with make_client(MODULES, limits) as client:
        for address in ("ann@example.com", "nobody@example.com"):
            answers = [await client.post(FORGOT, json={"email": address.upper()}) for _ in range(3)]
            assert [r.status_code for r in answers] == [202, 202, 429]
            assert int(answers[-1].headers["Retry-After"]) > 0


async def test_verification_flips_is_verified(client: TrellisClient, sink: SmtpSink) -> None:
    await register(client, "ann@example.com")
    pair = await tokens(client, "ann@example.com")
    headers = bearer(pair["access_token"])
    assert (await client.get(ME, headers=headers)).json()["is_verified"] is False

    assert (await client.post(f"{VERIFY}/request")).status_code == 401
    requested = await client.post(f"{VERIFY}/request", headers=headers)
    assert requested.status_code == 202
    mail = await mailed(client, sink, "ann@example.com")
    assert mail["Subject"] == "Confirm your e-mail address for Trellis"
    token = link_token(mail, "/verify-email")

    assert (await client.post(VERIFY, json={"token": token})).status_code == 204
    assert (await client.get(ME, headers=headers)).json()["is_verified"] is True
    assert (await client.post(f"{VERIFY}/request", headers=headers)).status_code == 409
    assert_bad_link(await client.post(VERIFY, json={"token": token}))


async def test_a_link_mailed_to_a_former_address_is_refused(
    client: TrellisClient, sink: SmtpSink
) -> None:
    await register(client, "ann@example.com")
    headers = bearer((await tokens(client, "ann@example.com"))["access_token"])
    await client.post(f"{VERIFY}/request", headers=headers)
    token = link_token(await mailed(client, sink, "ann@example.com"), "/verify-email")

    moved = await client.patch(ME, json={"email": "ann@elsewhere.example"}, headers=headers)
    assert moved.status_code == 200

    assert_bad_link(await client.post(VERIFY, json={"token": token}))


async def test_register_mails_a_link_and_login_waits_for_it(
    make_client: ClientFactory, sink: SmtpSink
) -> None:
    strict = module_settings(send_verification_on_register=True, require_verified_login=True)
    async with make_client(MODULES, strict) as client:
        await register(client, "ann@example.com")
        first = link_token(await mailed(client, sink, "ann@example.com"), "/verify-email")

        refused = await login(client, "ann@example.com")
        assert refused.status_code == 403
        assert refused.json()["title"] == "E-mail not verified"
        assert (await login(client, "ann@example.com", "wrong password")).status_code == 401

        resent = await client.post(f"{VERIFY}/resend", json={"email": "ann@example.com"})
        assert resent.status_code == 202
        assert resent.json() == MAYBE_SENT
        second = link_token(await mailed(client, sink, "ann@example.com", 2), "/verify-email")

        assert (await client.post(VERIFY, json={"token": second})).status_code == 204
        assert (await login(client, "ann@example.com")).status_code == 200
        assert_bad_link(await client.post(VERIFY, json={"token": first}))
        verified = await client.post(f"{VERIFY}/resend", json={"email": "ann@example.com"})
        assert verified.status_code == 202
        await tasks_settled(client.runtime)
    assert len(sink.to("ann@example.com")) == 2  # nothing more for a verified address


async def test_a_password_change_spends_outstanding_reset_links(
    client: TrellisClient, sink: SmtpSink
) -> None:
    await register(client, "ann@example.com")
    token = await reset_token(client, sink, "ann@example.com")
    headers = bearer((await tokens(client, "ann@example.com"))["access_token"])

    changed = await client.post(
        f"{ME}/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=headers,
    )
    assert changed.status_code == 204

    # A link mailed before the change must not undo it (nor hand the account to its reader).
    assert_bad_link(await reset(client, token, "yet another passphrase"))
    assert (await login(client, "ann@example.com", NEW_PASSWORD)).status_code == 200


async def test_production_without_smtp_logs_no_link(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("SMTP_HOST", raising=False)
    production = settings.model_copy(update={"environment": Environment.production})
    with caplog.at_level(logging.INFO, logger="trellis"):
        async with app_and_client(production) as (app, client):
            await register(client, "ann@example.com")
            response = await client.post(FORGOT, json={"email": "ann@example.com"})
            assert response.status_code == 202
            await tasks_settled(runtime_of(app))

    mail_lines = [r.getMessage() for r in caplog.records if r.name == "trellis.mail"]
    assert any("ann@example.com" in line for line in mail_lines), mail_lines
    assert "token=" not in caplog.text
    assert "/reset-password" not in caplog.text
