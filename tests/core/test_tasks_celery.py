"""Background tasks on Celery: a `trellis worker` process runs what an API request enqueued,
with Redis or RabbitMQ as the broker; a broker that is down at commit time loses nothing;
periodic tasks run from Celery beat."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from functools import partial
from pathlib import Path

import pytest

from core.settings import Settings
from core.testing import ClientFactory, Tasks, TrellisClient
from tests.core.test_tasks import eventually, lines
from tests.support.packages import Site
from tests.support.redis_server import PrivateRedis
from tests.support.worker import Worker, jobs_plugins, trellis_worker, write_jobs_site

# RabbitMQ, the second broker: set (by .ci/run and the GitHub workflow) it must answer.
AMQP_URL = os.environ.get("TEST_AMQP_URL")
pytestmark = pytest.mark.backends("postgres")  # the API and the worker share one database


def broker_settings(broker: str) -> dict[str, object]:
    return {
        "broker_url": broker,
        "task_queue": f"test-{secrets.token_hex(4)}",  # a queue of this test's own
        "task_poll_interval": 0.1,
    }


def worker_env(settings: Settings, chosen: dict[str, object]) -> dict[str, str]:
    """What a worker process needs to share the API's broker, queue and database."""
    return {
        "BROKER_URL": str(chosen["broker_url"]),
        "TASK_QUEUE": str(chosen["task_queue"]),
        "TASK_POLL_INTERVAL": str(chosen["task_poll_interval"]),
        "DATABASE_URL": str(settings.database_url),
    }


@asynccontextmanager
async def api_and_worker(
    make_client: ClientFactory, settings: Settings, tmp_path: Path, traces: Path, broker: str
) -> AsyncIterator[tuple[TrellisClient, Worker]]:
    chosen = broker_settings(broker)
    env = worker_env(settings, chosen)
    with trellis_worker(
        tmp_path, env, plugins_toml=jobs_plugins(traces), sites=[write_jobs_site(tmp_path)]
    ) as worker:
        async with make_client(
            ["jobs"], {"jobs": {"folder": str(traces)}}, settings_override=chosen
        ) as client:
            yield client, worker


async def test_a_worker_on_redis_runs_the_task_and_survives_a_broker_outage(
    jobs_site: Site,
    make_client: ClientFactory,
    settings: Settings,
    tmp_path: Path,
    traces: Path,
    private_redis: PrivateRedis,
) -> None:
    async with api_and_worker(make_client, settings, tmp_path, traces, private_redis.url) as (
        client,
        worker,
    ):
        first = await client.post("/api/v1/jobs/notes", params={"text": "first"})
        assert first.status_code == 202, first.text
        await eventually(lambda: lines(traces / "note.log") == ["first"], within=30)

        private_redis.stop()
        during = await client.post("/api/v1/jobs/notes", params={"text": "during"})
        assert during.status_code == 202  # committed: the outbox holds it
        private_redis.start()

        await eventually(lambda: lines(traces / "note.log") == ["first", "during"], within=60)
        worker.check_alive()


@pytest.mark.skipif(not AMQP_URL, reason="set TEST_AMQP_URL to test Celery on RabbitMQ")
async def test_a_worker_on_rabbitmq_runs_the_task(
    jobs_site: Site,
    make_client: ClientFactory,
    settings: Settings,
    tmp_path: Path,
    traces: Path,
) -> None:
    assert AMQP_URL is not None
    async with api_and_worker(make_client, settings, tmp_path, traces, AMQP_URL) as (
        client,
        worker,
    ):
        answer = await client.post("/api/v1/jobs/notes", params={"text": "rabbit"})
        assert answer.status_code == 202, answer.text
        await eventually(lambda: lines(traces / "note.log") == ["rabbit"], within=30)
        worker.check_alive()


@pytest.mark.parametrize("beat", ["worker --beat", "beat"])
async def test_a_periodic_task_runs_on_celery_once_per_interval(
    jobs_site: Site,
    make_client: ClientFactory,
    settings: Settings,
    tasks: Tasks,
    tmp_path: Path,
    traces: Path,
    private_redis: PrivateRedis,
    beat: str,
) -> None:
    """`jobs.tick` (every second) runs from Celery beat: embedded in the worker, or
    `trellis beat` beside it; each second's slot makes one row, run once."""
    chosen = broker_settings(private_redis.url)
    env = worker_env(settings, chosen)
    jobs = partial(
        trellis_worker,
        tmp_path,
        env,
        plugins_toml=jobs_plugins(traces),
        sites=[write_jobs_site(tmp_path)],
    )
    command = ("worker", "--beat") if beat == "worker --beat" else ("worker",)
    async with make_client(["jobs"], {"jobs": {"folder": str(traces)}}, settings_override=chosen):
        with ExitStack() as processes:
            started = time.monotonic()
            worker = processes.enter_context(jobs(command=command))
            if beat == "beat":
                processes.enter_context(jobs(command=("beat",), name="beat"))
            await eventually(lambda: len(lines(traces / "tick.log")) >= 2, within=30)
            worker.check_alive()
        seconds = time.monotonic() - started
        ticks = await tasks.rows("jobs.tick")
    ran = [row for row in ticks if row.status == "done"]
    assert len(ran) == len(lines(traces / "tick.log"))  # each run once
    assert 2 <= len(ticks) <= seconds + 1  # at most one row per one-second slot
