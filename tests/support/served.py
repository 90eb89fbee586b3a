"""A real `trellis serve` process with chosen modules, for what only a server shows.

Signals, worker processes, uvicorn's own handling of proxy headers and its log lines exist
only in a served process, so these tests start one, on its own port, var dir and log file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from core.testing import TEST_SECRET
from tests.support.packages import write_distribution
from tests.support.processes import free_port, stop, wait_until_up

# A third-party-shaped module for tests only: slow routes, each answering with its worker's pid.
SLOW_PLUGIN = """
import asyncio
import os
import time

from fastapi import APIRouter

from core import ModuleInfo, Mount, hookimpl

router = APIRouter(prefix="/slow", tags=["slow"])


@router.get("")
async def slow(seconds: float = 1.0) -> dict[str, int]:
    await asyncio.sleep(seconds)
    return {"pid": os.getpid()}


@router.get("/blocking")
async def blocking(seconds: float = 0.2) -> dict[str, int]:
    time.sleep(seconds)  # holds this worker's loop: meanwhile, another worker takes requests
    return {"pid": os.getpid()}


@hookimpl
def module_info() -> ModuleInfo:
    return ModuleInfo(name="slow", version="1.0")


@hookimpl
def register_routers() -> list[Mount]:
    return [Mount(router)]
"""


@dataclass(frozen=True)
class Served:
    """A running server: its base URL, its process, and the file its output goes to."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text()


@contextmanager
def trellis_serve(
    tmp_path: Path,
    plugins_toml: str,
    *,
    env: Mapping[str, str] | None = None,
    args: Sequence[str] = (),
) -> Iterator[Served]:
    """`trellis serve` on a free port with `plugins_toml`; stopped (SIGTERM) on exit.

    The environment is clean (no DATABASE_URL or REDIS_URL leaking in) apart from `env`;
    the test-only `slow` module is installed on the process's path.
    """
    site = tmp_path / "site"
    if not site.exists():
        write_distribution(site, "acme-slow", "1.0", "slow", SLOW_PLUGIN)
    plugins_file = tmp_path / "plugins.toml"
    plugins_file.write_text(textwrap.dedent(plugins_toml))
    environment = {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}
    environment.update(
        PYTHONPATH=os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])),
        TRELLIS_PLUGINS=str(plugins_file),
        TRELLIS_VAR_DIR=str(tmp_path / "var"),
        SECRET_KEY=TEST_SECRET,
        LOG_LEVEL="INFO",
    )
    environment.update(env or {})
    port = free_port()
    log = tmp_path / f"serve-{port}.log"
    command = [sys.executable, "-m", "core.cli", "serve", "--port", str(port), *args]
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            command, cwd=tmp_path, env=environment, stdout=output, stderr=subprocess.STDOUT
        )
    served = Served(f"http://127.0.0.1:{port}", process, log)
    try:
        wait_until_up(process, served.url, log)
        yield served
    finally:
        stop(process)
