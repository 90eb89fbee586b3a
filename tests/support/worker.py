"""A real `trellis worker` process (Celery) with the test-only `jobs` module enabled."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.testing import TEST_SECRET
from tests.support.packages import write_distribution
from tests.support.processes import stop
from tests.support.task_module import JOBS_PLUGIN


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
def trellis_worker(tmp_path: Path, traces: Path, env: Mapping[str, str]) -> Iterator[Worker]:
    """`trellis worker` with `jobs` writing into `traces`; `env` gives BROKER_URL, TASK_QUEUE
    and DATABASE_URL. Stopped (SIGTERM, Celery's warm shutdown) on exit."""
    site = tmp_path / "worker-site"
    if not site.exists():
        write_distribution(site, "acme-jobs", "1.0", "jobs", JOBS_PLUGIN)
    plugins_file = tmp_path / "worker-plugins.toml"
    plugins_file.write_text(f'enabled = ["jobs"]\n\n[modules.jobs]\nfolder = "{traces}"\n')
    environment = {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}
    environment.update(
        PYTHONPATH=os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])),
        TRELLIS_PLUGINS=str(plugins_file),
        TRELLIS_VAR_DIR=str(tmp_path / "worker-var"),
        SECRET_KEY=TEST_SECRET,
        LOG_LEVEL="INFO",
        TASK_POLL_INTERVAL="0.1",
        **env,
    )
    log = tmp_path / "worker.log"
    command = [sys.executable, "-m", "core.cli", "worker", "--concurrency", "2"]
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            command, cwd=tmp_path, env=environment, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        yield Worker(process, log)
    finally:
        stop(process)
