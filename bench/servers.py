"""The servers a bench run measures: Trellis as `trellis serve` starts it, and the limit apps
under the same uvicorn settings (event loop, HTTP parser, backlog, workers, no access log).
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.loadgen import HOST
from core.settings import Settings, normalise_database_url

BIN = Path(sys.executable).parent
DEFAULTS = {name: field.default for name, field in Settings.model_fields.items()}


@dataclass(frozen=True)
class Server:
    name: str
    port: int
    pid: int

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"


def trellis_env(var_dir: Path, extra: Mapping[str, str]) -> dict[str, str]:
    """Production-like settings for the bench: rate limits off, quiet logs, its own keys,
    metrics off as production has them by default (`--set METRICS_ENABLED=true`: on)."""
    env = dict(os.environ)
    env.update(
        TRELLIS_VAR_DIR=str(var_dir),
        TRELLIS_RATE_LIMIT_DISABLED="1",
        METRICS_ENABLED="false",
        SECRET_KEY=secrets.token_urlsafe(48),
        LOG_LEVEL="WARNING",
        CACHE_PREFIX=f"bench:{secrets.token_hex(4)}:",
    )
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
        if os.environ.get(f"BENCH_{name}"):
            env[name] = os.environ[f"BENCH_{name}"]
    env.update(extra)
    return env


@contextmanager
def trellis(
    env: Mapping[str, str], *, workers: int, access_log: bool, log: Path
) -> Iterator[Server]:
    if "DATABASE_URL" in env:
        subprocess.run([str(BIN / "trellis"), "migrate"], env=env, check=True)
    port = free_port()
    command = [str(BIN / "trellis"), "serve", "--host", HOST, "--port", str(port)]
    command += ["--workers", str(workers), "--access-log" if access_log else "--no-access-log"]
    if access_log:  # the lines are written, as in production, but not to this terminal
        env = {**env, "LOG_LEVEL": "INFO"}
    with _process(command, env, port, "/health/ready", name="trellis", log=log) as server:
        yield server


@contextmanager
def limit_app(factory: str, env: Mapping[str, str], *, workers: int, log: Path) -> Iterator[Server]:
    """`bench.limits:<factory>` under uvicorn, configured as `trellis serve` configures it."""
    database_url = normalise_database_url(env.get("DATABASE_URL") or "") or (
        f"sqlite+aiosqlite:///{Path(env['TRELLIS_VAR_DIR']) / 'trellis.db'}"
    )
    limit_env = {**env, "LIMIT_SECRET": env["SECRET_KEY"], "LIMIT_DATABASE_URL": database_url}
    port = free_port()
    command = [str(BIN / "python"), "-m", "bench.limit_server", factory]
    command += ["--host", HOST, "--port", str(port), "--workers", str(workers)]
    command += ["--loop", env.get("EVENT_LOOP", DEFAULTS["event_loop"])]
    command += ["--backlog", env.get("BACKLOG", str(DEFAULTS["backlog"]))]
    with _process(command, limit_env, port, "/openapi.json", name=factory, log=log) as server:
        yield server


@contextmanager
def _process(
    command: list[str], env: Mapping[str, str], port: int, ready: str, *, name: str, log: Path
) -> Iterator[Server]:
    with log.open("ab") as output:
        process = subprocess.Popen(command, env=dict(env), stdout=output, stderr=output)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-2000:]
                raise SystemExit(f"{name} did not start ({' '.join(command)}):\n{tail}")
            try:
                if httpx.get(f"http://{HOST}:{port}{ready}", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        yield Server(name, port, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def wait_until_idle(server: Server, *, within: float = 60.0) -> None:
    """Wait until the server's processes stop using CPU: work that clients of a finished
    measurement abandoned (queued bcrypt checks) must not slow the next one down."""
    deadline = time.monotonic() + within
    before = _cpu_seconds(server.pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = _cpu_seconds(server.pid)
        if now - before < 0.05:
            return
        before = now


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of `pid` and its children (uvicorn's workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):  # the pid itself, or a child
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total
