"""Background tasks on Celery: a `trellis worker` process runs what an API request enqueued,
with Redis or RabbitMQ as the broker; a broker that is down at commit time loses nothing."""

from __future__ import annotations

import secrets
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from core.settings import Settings
from core.testing import ClientFactory, TrellisClient
from tests.core.test_tasks import eventually, lines
from tests.support.packages import Site, site_packages
from tests.support.redis_server import PrivateRedis
from tests.support.task_module import JOBS_PLUGIN
from tests.support.worker import Worker, trellis_worker

RABBITMQ = "amqp://guest:guest@127.0.0.1:5672//"
pytestmark = pytest.mark.backends("postgres")  # the API and the worker share one database


def rabbitmq_is_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture
def traces(tmp_path: Path) -> Path:
    folder = tmp_path / "traces"
    folder.mkdir()
    return folder


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path / "broker")
    server.folder.mkdir()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def jobs_site(tmp_path: Path) -> Iterator[Site]:
    with site_packages(tmp_path / "site") as site:
        site.install("acme-jobs", "1.0", jobs=JOBS_PLUGIN)
        yield site


def broker_settings(broker: str) -> dict[str, object]:
    return {
        "broker_url": broker,
        "task_queue": f"test-{secrets.token_hex(4)}",  # a queue of this test's own
        "task_poll_interval": 0.1,
    }


@asynccontextmanager
async def api_and_worker(
    make_client: ClientFactory, settings: Settings, tmp_path: Path, traces: Path, broker: str
) -> AsyncIterator[tuple[TrellisClient, Worker]]:
    chosen = broker_settings(broker)
    env = {
        "BROKER_URL": broker,
        "TASK_QUEUE": str(chosen["task_queue"]),
        "DATABASE_URL": str(settings.database_url),
    }
    with trellis_worker(tmp_path, traces, env) as worker:
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


@pytest.mark.skipif(not rabbitmq_is_up(), reason="RabbitMQ is not running on 127.0.0.1:5672")
async def test_a_worker_on_rabbitmq_runs_the_task(
    jobs_site: Site,
    make_client: ClientFactory,
    settings: Settings,
    tmp_path: Path,
    traces: Path,
) -> None:
    async with api_and_worker(make_client, settings, tmp_path, traces, RABBITMQ) as (
        client,
        worker,
    ):
        answer = await client.post("/api/v1/jobs/notes", params={"text": "rabbit"})
        assert answer.status_code == 202, answer.text
        await eventually(lambda: lines(traces / "note.log") == ["rabbit"], within=30)
        worker.check_alive()
