"""`trellis worker` serves its own /metrics (WORKER_METRICS_PORT): the task outcomes it counts,
its process and pool metrics, behind METRICS_TOKEN like the API's route."""

from __future__ import annotations

import secrets
import socket
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from core.errors import PROBLEM_MEDIA_TYPE
from core.settings import Settings
from core.testing import ClientFactory
from tests.core.test_tasks import eventually, lines
from tests.core.test_tasks_celery import broker_settings, worker_env
from tests.support.packages import Site
from tests.support.processes import free_port
from tests.support.redis_server import PrivateRedis
from tests.support.worker import Worker, jobs_plugins, trellis_worker, write_jobs_site

TOKEN = secrets.token_urlsafe(16)


def scrape(url: str, token: str | None = TOKEN) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(url, headers=headers, timeout=5.0)


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def done_count(url: str) -> float | None:
    try:
        answer = scrape(url)
    except httpx.TransportError:
        return None  # not listening yet
    key = ("trellis_tasks_total", frozenset({("task", "jobs.note"), ("outcome", "done")}))
    return samples(answer.text).get(key)


def exited(worker: Worker) -> int | None:
    deadline = time.monotonic() + 30
    while worker.process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    return worker.process.poll()


@pytest.mark.backends("postgres")
async def test_the_worker_serves_its_task_outcomes_behind_the_token(
    jobs_site: Site,
    make_client: ClientFactory,
    settings: Settings,
    tmp_path: Path,
    private_redis: PrivateRedis,
) -> None:
    traces = tmp_path / "traces"
    traces.mkdir()
    chosen = broker_settings(private_redis.url)
    port = free_port()
    env = {
        **worker_env(settings, chosen),
        "METRICS_ENABLED": "true",
        "METRICS_TOKEN": TOKEN,
        "WORKER_METRICS_PORT": str(port),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),  # as the image sets it
    }
    (tmp_path / "metrics").mkdir()
    url = f"http://127.0.0.1:{port}/metrics"
    sites = [write_jobs_site(tmp_path)]
    with trellis_worker(tmp_path, env, plugins_toml=jobs_plugins(traces), sites=sites) as worker:
        async with make_client(
            ["jobs"], {"jobs": {"folder": str(traces)}}, settings_override=chosen
        ) as client:
            answer = await client.post("/api/v1/jobs/notes", params={"text": "counted"})
            assert answer.status_code == 202, answer.text
            await eventually(lambda: lines(traces / "note.log") == ["counted"], within=30)
            # Counted once the "done" mark has committed, just after the task's own work.
            assert await eventually(lambda: done_count(url) == 1.0, within=30)

        worker.check_alive()
        found = {name for name, _ in samples(scrape(url).text)}
        assert {"process_cpu_seconds_total", "trellis_db_pool_size"} <= found

        for refused in (scrape(url, token=None), scrape(url, token="wrong")):
            assert refused.status_code == 401
            assert refused.headers["content-type"] == PROBLEM_MEDIA_TYPE
            assert refused.headers["www-authenticate"] == "Bearer"
            assert refused.json()["status"] == 401
        elsewhere = scrape(f"http://127.0.0.1:{port}/")
        assert (elsewhere.status_code, elsewhere.headers["content-type"]) == (
            404,
            PROBLEM_MEDIA_TYPE,
        )
        assert TOKEN not in worker.output()


@pytest.mark.backends("postgres")
def test_a_worker_whose_metrics_port_is_taken_stops_with_one_line(
    settings: Settings, tmp_path: Path
) -> None:
    chosen = broker_settings("redis://127.0.0.1:1/0")  # never reached: it stops before
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**worker_env(settings, chosen), "METRICS_ENABLED": "true"}
        env["WORKER_METRICS_PORT"] = str(port)
        with trellis_worker(tmp_path, env, plugins_toml='enabled = ["health"]\n') as worker:
            assert exited(worker) == 1
    assert f"error: cannot serve metrics on 127.0.0.1:{port}" in worker.output()


def test_production_refuses_worker_metrics_without_a_token(tmp_path: Path) -> None:
    env = {
        "ENVIRONMENT": "production",
        "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/never",  # refused before any use
        "BROKER_URL": "redis://127.0.0.1:1/0",
        "METRICS_ENABLED": "true",
    }
    with trellis_worker(tmp_path, env, plugins_toml='enabled = ["health"]\n') as worker:
        assert exited(worker) == 1
    assert "METRICS_TOKEN must be set" in worker.output()
