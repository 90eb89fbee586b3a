"""A small keep-alive HTTP/1.1 load generator, used when `wrk` is not installed."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadResult:
    requests: int
    errors: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


async def _connection(host: str, port: int, request: bytes, deadline: float) -> tuple[int, int]:
    reader, writer = await asyncio.open_connection(host, port)
    done = errors = 0
    try:
        while time.monotonic() < deadline:
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            done += 1
            if not status_line.startswith(b"HTTP/1.1 2"):
                errors += 1
    finally:
        writer.close()
    return done, errors


async def run_load(
    host: str, port: int, path: str, *, headers: dict[str, str], connections: int, seconds: float
) -> LoadResult:
    """Hammer GET `path` from `connections` keep-alive connections for `seconds`."""
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    started = time.monotonic()
    deadline = started + seconds
    results = await asyncio.gather(
        *(_connection(host, port, request, deadline) for _ in range(connections))
    )
    elapsed = time.monotonic() - started
    return LoadResult(
        requests=sum(r[0] for r in results), errors=sum(r[1] for r in results), seconds=elapsed
    )
