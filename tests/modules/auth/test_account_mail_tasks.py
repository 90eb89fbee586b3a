"""Account mail as background tasks: a mail server outage loses nothing, in the API process (the
embedded default) and on a Celery worker; the task re-checks the account; the daily prune."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.settings import Settings
from core.tasks.table import Status
from core.testing import ClientFactory, Tasks, TrellisClient, task_rows, tasks_settled
from core.testing.outbox import SmtpSink, free_port
from modules.auth.account_email.tasks import RESET_LINK, VERIFICATION_LINK
from modules.auth.models import AuthSession
from tests.support.redis_server import PrivateRedis
from tests.support.worker import trellis_worker

from .support import (
    FRONTEND,
    ME,
    MODULES,
    bearer,
    module_settings,
    register,
    tokens,
)
from .test_account_email import FORGOT, NEW_PASSWORD, RESET, link_token

EMAIL = "ann@example.com"
# Ten retries within about four seconds, each taken up by the next sweep of the outbox.
FAST_RETRIES = {"task_backoff_scale": 0.01, "task_poll_interval": 0.1}
WORKER_PLUGINS = 'enabled = ["users", "auth"]\n\n[modules.users]\nbcrypt_rounds = 4\n'


def mail_environment(port: int) -> dict[str, str]:
    return {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_TLS": "false",
        "SMTP_SSL": "false",
        "EMAILS_FROM_EMAIL": "noreply@trellis.test",
        "FRONTEND_URL": FRONTEND,
    }


@pytest.fixture
def smtp_port(monkeypatch: pytest.MonkeyPatch) -> int:
    """Apps built later mail to this loopback port, where no server listens yet."""
    port = free_port()
    for name, value in mail_environment(port).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SMTP_USER", raising=False)
    return port


@contextmanager
def sink_on(port: int) -> Iterator[SmtpSink]:
    sink = SmtpSink(port=port).start()
    try:
        yield sink
    finally:
        sink.stop()


async def failed(client: TrellisClient, name: str, *, times: int) -> None:
    """Wait until the one task `name` has failed `times` times and waits for its retry."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while loop.time() < deadline:
        [row] = await task_rows(client.runtime, name)
        if row.attempts >= times and row.status == Status.pending:
            return
        assert row.status != Status.dead, row.last_error
        await asyncio.sleep(0.02)
    raise AssertionError(f"{name} did not fail {times} times")


async def reset_through_an_outage(client: TrellisClient, port: int) -> None:
    """Ask for a reset while the mail server is down; it arrives, once, when it is back."""
    await register(client, EMAIL)
    assert (await client.post(FORGOT, json={"email": EMAIL})).status_code == 202
    await failed(client, RESET_LINK, times=2)

    with sink_on(port) as sink:
        mail = await sink.wait_for(EMAIL, within=30)
        await tasks_settled(client.runtime, within=30)
        assert len(sink.to(EMAIL)) == 1

    [row] = await task_rows(client.runtime, RESET_LINK)
    assert row.status == Status.done
    assert row.arguments == {"email": EMAIL}  # an address, never a token
    token = link_token(mail, "/reset-password")
    reset = await client.post(RESET, json={"token": token, "new_password": NEW_PASSWORD})
    assert reset.status_code == 204, reset.text


async def test_a_reset_asked_for_while_the_mail_server_is_down_arrives_once_it_is_back(
    make_client: ClientFactory, smtp_port: int
) -> None:
    async with make_client(MODULES, module_settings(), settings_override=FAST_RETRIES) as client:
        await reset_through_an_outage(client, smtp_port)


async def ran_on_the_worker(log: Path, name: str) -> None:
    """The worker logged the task's successful attempt (the API only relays with a broker)."""
    for _ in range(250):
        lines = (await asyncio.to_thread(log.read_text)).splitlines()
        if any(name in line and line.endswith(": done") for line in lines):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the worker did not log {name} done")


@pytest.mark.backends("postgres")  # the API and the worker share one database
async def test_the_same_on_a_celery_worker(
    make_client: ClientFactory,
    settings: Settings,
    smtp_port: int,
    tmp_path: Path,
    private_redis: PrivateRedis,
) -> None:
    broker = private_redis
    queue = {"broker_url": broker.url, "task_queue": f"test-{secrets.token_hex(4)}"}
    env = {
        "BROKER_URL": broker.url,
        "TASK_QUEUE": queue["task_queue"],
        "TASK_BACKOFF_SCALE": str(FAST_RETRIES["task_backoff_scale"]),
        "TASK_POLL_INTERVAL": str(FAST_RETRIES["task_poll_interval"]),
        "DATABASE_URL": str(settings.database_url),
        **mail_environment(smtp_port),
    }
    override = {**queue, **FAST_RETRIES}
    with trellis_worker(tmp_path, env, plugins_toml=WORKER_PLUGINS) as worker:
        async with make_client(MODULES, module_settings(), settings_override=override) as api:
            try:
                await reset_through_an_outage(api, smtp_port)
                await ran_on_the_worker(worker.log, RESET_LINK)
            except AssertionError:
                print(worker.output()[-3000:])  # shown with the failure
                raise


async def test_the_task_mails_no_link_an_account_can_no_longer_use(
    make_client: ClientFactory, sink: SmtpSink
) -> None:
    async with make_client(MODULES, module_settings()) as client:
        await mail_to_a_moved_account(client, sink)


async def mail_to_a_moved_account(client: TrellisClient, sink: SmtpSink) -> None:
    user_id = await register(client, EMAIL)
    headers = bearer((await tokens(client, EMAIL))["access_token"])
    moved = await client.patch(ME, json={"email": "ann@elsewhere.example"}, headers=headers)
    assert moved.status_code == 200

    runtime = client.runtime
    async with runtime.transaction() as session:  # as a request before the move would have
        await runtime.tasks.enqueue(session, VERIFICATION_LINK, email=EMAIL, user_id=user_id)
        await runtime.tasks.enqueue(session, RESET_LINK, email=EMAIL)
    await tasks_settled(runtime)

    assert [row.status for row in await task_rows(runtime, VERIFICATION_LINK)] == [Status.done]
    assert sink.messages == []
    asked = await client.post("/api/v1/auth/verify/request", headers=headers)
    assert asked.status_code == 202
    await sink.wait_for("ann@elsewhere.example")  # the address it has now
    assert [m["To"] for m in sink.messages] == ["ann@elsewhere.example"]


async def test_the_daily_prune_runs_with_the_configured_age(
    make_client: ClientFactory, tasks: Tasks
) -> None:
    async with make_client(MODULES, module_settings(prune_older_than_days=0)) as client:
        runtime = client.runtime
        assert runtime.tasks.registry["auth.prune"].every == timedelta(days=1)
        await register(client, EMAIL)
        headers = bearer((await tokens(client, EMAIL))["access_token"])
        assert (await client.post("/api/v1/auth/logout", headers=headers)).status_code == 204

        async with runtime.transaction() as session:  # as the schedule does at midnight UTC
            task_id = await runtime.tasks.enqueue(session, "auth.prune")
        await tasks.settle()

        [run] = [row for row in await tasks.rows("auth.prune") if row.id == task_id]
        assert run.status == Status.done
        async with runtime.engine.connect() as connection:
            left = await connection.scalar(select(func.count()).select_from(AuthSession))
        assert left == 0  # ended a moment ago: older than 0 days
