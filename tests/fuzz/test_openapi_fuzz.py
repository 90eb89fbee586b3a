"""Schemathesis fuzzes every operation of the API's own OpenAPI document against a real server.

On each backend (the embedded default, and PostgreSQL + Redis when TEST_DATABASE_URL is set),
signed in as a user and as a superuser, with the checks in `schemathesis.toml` beside this
file: no 5xx, every status documented, every body matching its schema, every schema-valid
request accepted. Marked `fuzz`, which the plain `pytest` run deselects; CI runs
`pytest -m fuzz tests/fuzz`. A failure prints Schemathesis's report with a `curl` line that
reproduces it, and the server's log.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.settings import Settings
from core.testing import TEST_SECRET, Backend
from tests.support.processes import free_port, stop, wait_until_up

pytestmark = pytest.mark.fuzz

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
RUN_TIMEOUT = 600  # seconds; a run takes well under a minute


@dataclass(frozen=True)
class Server:
    url: str
    env: dict[str, str]
    log: Path


@pytest.fixture
def server(backend: Backend, settings: Settings, tmp_path: Path) -> Iterator[Server]:
    """`trellis serve` with the modules Trellis ships enabled, on the test's database."""
    enabled = tomllib.loads((ROOT / "plugins.toml").read_text())["enabled"]
    plugins_file = tmp_path / "plugins.toml"
    plugins_file.write_text(
        f"enabled = {enabled!r}\n\n"
        # A real cost would spend most of the run in bcrypt.
        "[modules.users]\nbcrypt_rounds = 4\n"
    )
    # Nothing from the caller's environment that Settings would read (DATABASE_URL, ...).
    env = {key: os.environ[key] for key in ("PATH", "HOME", "PYTHONPATH") if key in os.environ}
    env.update(
        TRELLIS_PLUGINS=str(plugins_file),
        TRELLIS_VAR_DIR=str(settings.var_dir),  # the test's migrated SQLite copy lives here
        SECRET_KEY=TEST_SECRET,
        CACHE_PREFIX=settings.cache_prefix,
        AUTO_MIGRATE="false",  # migrated once per test session, like every other test's
        # A 429 would hide whatever the request would otherwise have found.
        TRELLIS_RATE_LIMIT_DISABLED="true",
        LOG_LEVEL="WARNING",
    )
    if settings.database_url:
        env["DATABASE_URL"] = settings.database_url
    if backend.redis_url:
        env["REDIS_URL"] = backend.redis_url
    port = free_port()
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "core.cli", "serve", "--host", "127.0.0.1"]
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [*command, "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(process, url, log)
        yield Server(url, env, log)
    finally:
        stop(process)


@pytest.mark.parametrize("identity", ["user", "superuser"])
def test_every_operation_keeps_its_documented_contract(
    server: Server, identity: str, tmp_path: Path
) -> None:
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(HERE / "schemathesis.toml"),
    ]
    command += ["--no-color", "run", f"{server.url}/openapi.json", "--workers", "1"]
    if seed := os.environ.get("TRELLIS_FUZZ_SEED"):
        command += ["--seed", seed]
    env = {
        **server.env,
        "SCHEMATHESIS_HOOKS": str(HERE / "hooks.py"),
        "TRELLIS_FUZZ_IDENTITY": identity,
    }
    run = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        command,
        cwd=tmp_path,  # whatever Schemathesis writes stays out of the work tree
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    report = run.stdout + run.stderr
    assert run.returncode == 0, (
        f"schemathesis as {identity} failed:\n{report[-30_000:]}\n"
        f"--- server log (tail) ---\n{server.log.read_text()[-10_000:]}"
    )
    print(report[report.find("SUMMARY") :])  # the counts, shown with `pytest -rA`
