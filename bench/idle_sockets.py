"""`/health` while one worker holds 1,000 idle notification sockets (issue 14), as a ratio.

    python -m bench.idle_sockets [--sockets 1000] [--seconds 5] [--connections 32]

Starts `trellis serve` with one worker (the embedded default, or BENCH_DATABASE_URL /
BENCH_REDIS_URL as `python -m bench` does), signs a user in, measures `/health`, opens the
sockets (each an authenticated `/api/v1/notifications`, offering `trellis` and
`bearer.<token>` as a browser would), measures `/health` again while they stay open, and
prints both with the worker's memory. Idle sockets cost memory and a heartbeat, not CPU: the
target is `/health` at no less than `TARGET` of its rate without them. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import secrets
import tempfile
import threading
from contextlib import AsyncExitStack, ExitStack
from pathlib import Path

import httpx
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from bench import servers
from bench.loadgen import HOST, Load, Request, run

TARGET = 0.8  # /health's rate with the sockets open, over its rate without
OPEN_AT_ONCE = 50  # handshakes in flight while opening (each one resolves a token)


def main() -> None:
    args = _arguments()
    _raise_file_limit()  # before the server starts: it inherits the limit
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        var = Path(folder)
        env = servers.trellis_env(var, {})
        log = var / "servers.log"
        trellis = stack.enter_context(servers.trellis(env, workers=1, access_log=False, log=log))
        token = _sign_in(trellis.base)
        health = Request("/health")
        before = run(trellis.port, health, connections=args.connections, seconds=args.seconds)
        memory_before = _rss_mib(trellis.pid)
        sockets = _IdleSockets(trellis.port, token, args.sockets)
        with sockets:
            during = run(trellis.port, health, connections=args.connections, seconds=args.seconds)
            memory_during = _rss_mib(trellis.pid)
            still_open = sockets.open_now()
        print(f"{'':<34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'RSS MiB':>8}")
        print(_line("/health", before, memory_before))
        print(_line(f"/health, {args.sockets} idle sockets", during, memory_during))
        print(f"sockets opened {sockets.opened}, still open after the run {still_open}")
        per_socket = (memory_during - memory_before) * 1024 / max(1, sockets.opened)
        print(f"memory per socket: about {per_socket:.0f} KiB")
        ratio = during.per_second / before.per_second if before.per_second else 0.0
        verdict = "met" if ratio >= TARGET and still_open == args.sockets else "MISSED"
        print(f"target: /health with sockets >= {TARGET:.0%} of without: {ratio:.2f} {verdict}")


class _IdleSockets:
    """`count` open sockets, held by a loop in a thread of its own while the load runs."""

    def __init__(self, port: int, token: str, count: int) -> None:
        self.url = f"ws://{HOST}:{port}/api/v1/notifications"
        self.offered = [Subprotocol("trellis"), Subprotocol(f"bearer.{token}")]
        self.count = count
        self.opened = 0
        self._connections: list[object] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._stack = AsyncExitStack()

    def __enter__(self) -> _IdleSockets:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._open(), self._loop).result()
        return self

    def __exit__(self, *_: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stack.aclose(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()

    def open_now(self) -> int:
        async def count() -> int:
            return sum(
                1 for socket in self._connections if getattr(socket, "close_code", 1) is None
            )

        return asyncio.run_coroutine_threadsafe(count(), self._loop).result()

    async def _open(self) -> None:
        gate = asyncio.Semaphore(OPEN_AT_ONCE)

        async def one() -> None:
            async with gate:
                socket = await self._stack.enter_async_context(
                    connect(self.url, subprotocols=self.offered, open_timeout=30)
                )
            self._connections.append(socket)
            self.opened += 1

        await asyncio.gather(*(one() for _ in range(self.count)))


def _sign_in(base: str) -> str:
    email, password = f"bench-{secrets.token_hex(4)}@example.com", secrets.token_urlsafe(16)
    account = {"email": email, "password": password}
    httpx.post(f"{base}/api/v1/users", json=account, timeout=30).raise_for_status()
    form = {"username": email, "password": password}
    response = httpx.post(f"{base}/api/v1/auth/token", data=form, timeout=30)
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _raise_file_limit() -> None:
    """Each socket is a file descriptor on both ends; 1,024 is a common default limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _line(name: str, load: Load, rss: float) -> str:
    return (
        f"{name:<34} {load.per_second:>8.0f} {load.p50_ms:>8.1f} {load.p99_ms:>8.1f}"
        f" {load.non_2xx:>8} {rss:>8.1f}"
    )


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.idle_sockets", description=__doc__)
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=32)
    return parser.parse_args()


if __name__ == "__main__":
    main()
