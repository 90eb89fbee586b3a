"""A Redis server of the test's own, to restart, dump and restore; the shared one is never touched.

It listens on a free loopback port and keeps its files in the test's temporary folder. It
persists nothing unless told to: `restart()` brings it back empty (a restart without
persistence), `save(name)` keeps a dump of what it holds now, and `restore(dump)` restarts it
from such an older dump, as an operator restoring a backup (or a lagging replica promoted)
would: a rewound cache.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import redis

from tests.support.processes import free_port

START_TIMEOUT = 10.0
DUMP = "dump.rdb"


class PrivateRedis:
    """`redis-server` on a free loopback port, with its data under `folder`."""

    def __init__(self, folder: Path) -> None:
        if shutil.which("redis-server") is None:
            pytest.skip("redis-server is not installed")
        self.folder = folder
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def start(self) -> None:
        """Start on the same port; loads the folder's dump when `restore` put one there."""
        binary = shutil.which("redis-server")
        assert binary is not None
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--dir", str(self.folder), "--dbfilename", DUMP]
        command += ["--save", "", "--appendonly", "no", "--protected-mode", "no"]
        with (self.folder / "redis.log").open("ab") as log:
            self._process = subprocess.Popen(  # noqa: S603 (the installed binary, our arguments)
                command, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                if self.client().ping():
                    return
            except redis.RedisError:
                time.sleep(0.05)
        raise AssertionError(f"redis-server did not start; see {self.folder / 'redis.log'}")

    def stop(self) -> None:
        """Stop without saving: whatever was written since the last dump is lost."""
        if self._process is None:
            return
        with contextlib.suppress(redis.RedisError):  # the connection drops as the server exits
            self.client().shutdown(nosave=True)
        try:
            self._process.wait(timeout=START_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def restart(self) -> None:
        """Stop and start again, empty: every pooled client connection is now stale."""
        self.stop()
        (self.folder / DUMP).unlink(missing_ok=True)
        self.start()

    def save(self, name: str) -> Path:
        """A dump of everything the server holds now, kept as `name` in the folder."""
        self.client().save()
        kept = self.folder / name
        shutil.copy(self.folder / DUMP, kept)
        return kept

    def restore(self, dump: Path) -> None:
        """Restart from an older dump: keys written since are gone, older values are back."""
        self.stop()
        shutil.copy(dump, self.folder / DUMP)
        self.start()
