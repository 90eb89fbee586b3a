"""Real `trellis worker` / `trellis beat` processes (Celery) for the modules a test enables."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.testing import TEST_SECRET
from tests.support.packages import write_distribution
from tests.support.processes import stop
from tests.support.task_module import JOBS_PLUGIN

WORKER = ("worker", "--concurrency", "2")


@dataclass(frozen=True)
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text()

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            pytest.fail(f"trellis worker exited early:\n{self.output()[-3000:]}")


@contextmanager
def trellis_worker(
    tmp_path: Path,
    env: Mapping[str, str],
    *,
    plugins_toml: str,
    sites: Sequence[Path] = (),
    command: Sequence[str] = WORKER,
    name: str = "worker",
) -> Iterator[Worker]:
    """`trellis <command>` with `plugins_toml` and the distributions under `sites` importable;
    `env` gives BROKER_URL, TASK_QUEUE, DATABASE_URL and the like. Stopped (SIGTERM, Celery's
    warm shutdown) on exit; `name` keeps the files of two processes of one test apart."""
    plugins_file = tmp_path / f"{name}-plugins.toml"
    plugins_file.write_text(plugins_toml)
    environment = {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}
    python_path = [*map(str, sites), os.environ.get("PYTHONPATH", "")]
    environment.update(
        PYTHONPATH=os.pathsep.join(filter(None, python_path)),
        TRELLIS_PLUGINS=str(plugins_file),
        TRELLIS_VAR_DIR=str(tmp_path / f"{name}-var"),
        SECRET_KEY=TEST_SECRET,
        LOG_LEVEL="INFO",
        METRICS_ENABLED="false",  # else every worker would take WORKER_METRICS_PORT (9100)
    )
    environment.update(env)
    log = tmp_path / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [sys.executable, "-m", "core.cli", *command],
            cwd=tmp_path,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        yield Worker(process, log)
    finally:
        stop(process)


def write_jobs_site(tmp_path: Path) -> Path:
    """A folder holding the test-only `jobs` distribution, for a worker's PYTHONPATH."""
    site = tmp_path / "worker-site"
    if not site.exists():
        write_distribution(site, "acme-jobs", "1.0", "jobs", JOBS_PLUGIN)
    return site


def jobs_plugins(traces: Path) -> str:
    """A `plugins.toml` enabling `jobs` alone, writing its traces into `traces`."""
    return f'enabled = ["jobs"]\n\n[modules.jobs]\nfolder = "{traces}"\n'
