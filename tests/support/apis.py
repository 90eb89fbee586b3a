"""Two real API processes (uvicorn) sharing the test's PostgreSQL database and Redis prefix.

For what only separate processes show: each keeps its own in-memory state (revocation
watermark, nothing else), so they agree only through the database and the cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.settings import Settings
from core.testing import TEST_SECRET, Backend
from tests.support.processes import free_port, stop, wait_until_up


@contextmanager
def two_apis(
    backend: Backend, settings: Settings, tmp_path: Path, plugins_toml: str
) -> Iterator[tuple[str, str]]:
    """Base URLs of two uvicorn processes on the test's database and cache prefix."""
    assert settings.database_url is not None
    assert backend.redis_url is not None
    plugins_file = tmp_path / "plugins.toml"
    plugins_file.write_text(plugins_toml)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FIRST_SUPERUSER_", "TRELLIS_", "TEST_"))
    }
    env.update(
        DATABASE_URL=settings.database_url,
        REDIS_URL=backend.redis_url,
        SECRET_KEY=TEST_SECRET,
        CACHE_PREFIX=settings.cache_prefix,
        TRELLIS_PLUGINS=str(plugins_file),
        TRELLIS_VAR_DIR=str(tmp_path / "var"),
        LOG_LEVEL="WARNING",
    )
    processes: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        for name in ("a", "b"):
            port = free_port()
            log = tmp_path / f"{name}.log"
            command = [
                sys.executable,
                "-m",
                "uvicorn",
                "core.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ]
            with log.open("wb") as output:
                processes.append(
                    subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
                        command, cwd=tmp_path, env=env, stdout=output, stderr=subprocess.STDOUT
                    )
                )
            urls.append(f"http://127.0.0.1:{port}")
            wait_until_up(processes[-1], urls[-1], log)
        yield urls[0], urls[1]
    finally:
        for process in processes:
            stop(process)
