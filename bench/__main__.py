"""Start a real Trellis server and measure requests per second on its hot paths.

    python -m bench [--seconds 10] [--connections 32] [--workers 1]

Uses the embedded default, or PostgreSQL/Redis when BENCH_DATABASE_URL / BENCH_REDIS_URL are
set (the database must be empty or migrated by Trellis). `wrk` is used when it is installed
(`apt-get install wrk`), else the built-in generator, which itself costs CPU on the same
machine and so reports lower numbers: compare runs made with the same generator only.
Then the principal resolver alone, in process (`bench.hot_path`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench import hot_path
from bench.loadgen import run_load

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def server_env(var_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TRELLIS_VAR_DIR=var_dir,
        TRELLIS_RATE_LIMIT_DISABLED="1",
        SECRET_KEY=secrets.token_urlsafe(48),
        LOG_LEVEL="WARNING",
        CACHE_PREFIX=f"bench:{secrets.token_hex(4)}:",
    )
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
        if os.environ.get(f"BENCH_{name}"):
            env[name] = os.environ[f"BENCH_{name}"]
    return env


def start_server(port: int, workers: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    trellis = str(Path(sys.executable).with_name("trellis"))
    if "DATABASE_URL" in env:
        subprocess.run([trellis, "migrate"], env=env, check=True)
    command = [trellis, "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)]
    command.append("--no-access-log")
    server = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://{HOST}:{port}/health/ready", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not become ready within 30 s")


def bearer_token(base: str) -> str:
    email, password = f"bench-{secrets.token_hex(4)}@example.com", secrets.token_urlsafe(16)
    httpx.post(
        f"{base}/api/v1/users", json={"email": email, "password": password}
    ).raise_for_status()
    login = httpx.post(f"{base}/api/v1/auth/token", data={"username": email, "password": password})
    login.raise_for_status()
    return str(login.json()["access_token"])


def measure(port: int, path: str, headers: dict[str, str], connections: int, seconds: float) -> str:
    wrk = shutil.which("wrk")
    if wrk:
        args = [wrk, "-t2", f"-c{connections}", f"-d{int(seconds)}s", "--latency"]
        for name, value in headers.items():
            args += ["-H", f"{name}: {value}"]
        output = subprocess.run(
            [*args, f"http://{HOST}:{port}{path}"], capture_output=True, text=True, check=True
        ).stdout
        rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
        p99 = re.search(r"99%\s+(\S+)", output)
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
        return (
            f"{float(rate[1]) if rate else 0:>9.0f} req/s  p99 {p99[1] if p99 else '?':>8}"
            f"  non-2xx {errors[1] if errors else 0}  (wrk)"
        )
    result = asyncio.run(
        run_load(HOST, port, path, headers=headers, connections=connections, seconds=seconds)
    )
    return f"{result.per_second:>9.0f} req/s  errors {result.errors}  (built-in generator)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as var_dir:
        server = start_server(port, args.workers, server_env(var_dir))
        try:
            base = f"http://{HOST}:{port}"
            auth = {"Authorization": f"Bearer {bearer_token(base)}"}
            scenarios = [
                ("GET /health (no dependency)", "/health", {}),
                ("GET /api/v1/users/me (token + cache + one read)", "/api/v1/users/me", auth),
            ]
            print(
                f"{args.connections} connections, {args.workers} worker(s), {args.seconds:g} s each"
            )
            for label, path, headers in scenarios:
                line = measure(port, path, headers, args.connections, args.seconds)
                print(f"{label:<50} {line}")
        finally:
            server.terminate()
            server.wait(timeout=15)
    # The resolver alone, in process: the I/O and time one bearer token costs.
    for line in asyncio.run(hot_path.run(calls=3000, concurrency=args.connections)):
        print(line)


if __name__ == "__main__":
    main()
