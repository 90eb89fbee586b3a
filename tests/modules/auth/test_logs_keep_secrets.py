"""Logs never carry a password, a token, a reset link or an Authorization value.

One realistic flow, logged at DEBUG: register, a wrong password, login, refresh, a password
change, forgot and reset (the link through a real SMTP server), logout, and requests with
bearer tokens that are valid, made up and revoked. Every record any logger emits on the
app's side is searched for every secret the flow used.
"""

from __future__ import annotations

import logging

import pytest

from core.access_log import ACCESS_LOGGER
from core.jsonlogs import JsonFormatter
from core.logs import FORMAT, RequestIdFilter
from core.testing import TEST_SECRET, ClientFactory, TrellisClient, tasks_settled
from core.testing.outbox import SmtpSink, bodies

from .support import (
    FRONTEND,
    ME,
    MODULES,
    PASSWORD,
    bearer,
    module_settings,
    refresh,
    register,
)
from .test_account_email import FORGOT, RESET, link_token

CHANGED = "a changed passphrase"
RESET_TO = "a brand new passphrase"
WRONG = "not my password at all"
# The test's own side of the wire: its HTTP client and its SMTP server.
TEST_SIDE = ("httpx", "httpcore", "mail.log", "asyncio")


async def test_no_secret_reaches_the_logs(
    make_client: ClientFactory, sink: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    debug = {"log_level": "DEBUG"}
    async with make_client(MODULES, module_settings(), settings_override=debug) as client:
        secrets = await realistic_flow(client, sink)

    records = [r for r in caplog.records if not r.name.startswith(TEST_SIDE)]
    routes = {(r.method, r.route, r.status) for r in records if r.name == ACCESS_LOGGER}
    assert ("POST", "/api/v1/auth/reset-password", 204) in routes  # the flow was logged
    assert ("GET", "/api/v1/users/me", 401) in routes
    for record in records:
        written = rendered(record)
        for name, secret in secrets.items():
            assert secret not in written, f"{name} in a log record of {record.name}"


async def realistic_flow(client: TrellisClient, sink: SmtpSink) -> dict[str, str]:
    """Run the flow; return every secret it used, by name."""
    await register(client, "ann@example.com")
    login = "/api/v1/auth/token"
    wrong = await client.post(login, data={"username": "ann@example.com", "password": WRONG})
    assert wrong.status_code == 401
    first = (
        await client.post(login, data={"username": "ann@example.com", "password": PASSWORD})
    ).json()
    assert (await client.get(ME, headers=bearer(first["access_token"]))).status_code == 200
    second = (await refresh(client, first["refresh_token"])).json()
    await refresh(client, first["refresh_token"])  # a retired token, used again
    change = {"current_password": PASSWORD, "new_password": CHANGED}
    changed = await client.post(
        "/api/v1/users/me/password", json=change, headers=bearer(second["access_token"])
    )
    assert changed.status_code == 204, changed.text

    assert (await client.post(FORGOT, json={"email": "ann@example.com"})).status_code == 202
    await sink.wait_for("ann@example.com", 2)  # the password-changed notice, and the link
    await tasks_settled(client.runtime)  # the link's token commits with its task
    # Mail is sent in the background: the two may arrive in either order.
    mail = next(m for m in sink.to("ann@example.com") if "/reset-password" in bodies(m)[0])
    token = link_token(mail, "/reset-password")
    assert (
        await client.post(RESET, json={"token": token, "new_password": RESET_TO})
    ).status_code == 204

    form = {"username": "ann@example.com", "password": RESET_TO}
    third = (await client.post(login, data=form)).json()
    auth = bearer(third["access_token"])
    assert (await client.post("/api/v1/auth/logout", headers=auth)).status_code == 204
    assert (await client.get(ME, headers=auth)).status_code == 401  # revoked
    made_up = "Bearer made-up.token.value"
    assert (await client.get(ME, headers={"Authorization": made_up})).status_code == 401
    return {
        "password": PASSWORD,
        "wrong password": WRONG,
        "changed password": CHANGED,
        "reset password": RESET_TO,
        "reset token": token,
        "reset link": f"{FRONTEND}/reset-password?token=",
        "signing key": TEST_SECRET,
        "made-up Authorization value": made_up,
        **{
            f"{kind} #{number}": pair[kind]
            for number, pair in enumerate((first, second, third), start=1)
            for kind in ("access_token", "refresh_token")
        },
    }


def rendered(record: logging.LogRecord) -> str:
    """The record as every formatter writes it, and everything it carries."""
    RequestIdFilter().filter(record)
    text = logging.Formatter(FORMAT).format(record)
    return "\n".join([text, JsonFormatter().format(record), repr(vars(record))])
