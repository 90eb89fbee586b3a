"""Load generators: `wrk` when installed, else a small keep-alive HTTP/1.1 client of our own.

Both report the same `Load`: requests per second, p50/p99 latency, non-2xx answers, and
socket errors (connect, read, write, and requests over the 2 s timeout wrk also applies).
"""

from __future__ import annotations

import asyncio
import itertools
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
UNIQUE = "{n}"
# wrk runs a Lua state per thread: the run, the thread and a count make each body unique;
# the count also picks the caller.
_WRK_VARYING = """
local threads, count = 0, 0
local authorizations = {AUTHORIZATIONS}
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
function request()
  count = count + 1
  if #authorizations > 0 then
    wrk.headers["Authorization"] = authorizations[(count % #authorizations) + 1]
  end
  local unique = RUN .. "-" .. tostring(tid) .. "-" .. count
  return wrk.format(nil, nil, nil, (string.gsub(wrk.body, "{n}", unique)))
end
"""
TIMEOUT = 2.0  # wrk's default: a request slower than this counts as a socket error (timeout)


@dataclass(frozen=True)
class Request:
    """What every connection sends, over and over; `{n}` in the body becomes a token unique
    to each request (a registration's e-mail), and each request takes the next of
    `authorizations`, if any (many callers rather than one: writes to one row would queue)."""

    path: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    authorizations: tuple[str, ...] = ()

    @property
    def varies(self) -> bool:
        return UNIQUE in self.body or bool(self.authorizations)


@dataclass(frozen=True)
class Load:
    per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    tool: str


def run(
    port: int, request: Request, *, connections: int, seconds: float, timeout: float = TIMEOUT
) -> Load:
    """Hammer `request` from `connections` keep-alive connections for `seconds`; an answer
    slower than `timeout` counts as a socket error, not as a latency."""
    if shutil.which("wrk"):
        return _wrk(port, request, connections=connections, seconds=seconds, timeout=timeout)
    return asyncio.run(
        _builtin(port, request, connections=connections, seconds=seconds, too_slow=timeout)
    )


def _wrk(port: int, request: Request, *, connections: int, seconds: float, timeout: float) -> Load:
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "request.lua"
        lines = [f"wrk.method = {_lua(request.method)}"]
        if request.body:  # any body, even empty, makes wrk send a Content-Length
            lines.append(f"wrk.body = {_lua(request.body)}")
        lines += [f"wrk.headers[{_lua(k)}] = {_lua(v)}" for k, v in request.headers.items()]
        if request.varies:
            listed = ", ".join(_lua(value) for value in request.authorizations)
            lua = _WRK_VARYING.replace("RUN", _lua(secrets.token_hex(4)))
            lines.append(lua.replace("AUTHORIZATIONS", listed))
        script.write_text("\n".join(lines) + "\n")
        threads = min(2, connections)
        command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
        command += [f"--timeout={timeout:g}s", "--latency", "-s", str(script)]
        output = subprocess.run(
            [*command, f"http://{HOST}:{port}{request.path}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    socket = re.search(r"connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Load(
        per_second=float(_find(r"Requests/sec:\s+([\d.]+)", output)),
        p50_ms=_millis(_find(r"(?m)^\s+50%\s+(\S+)\s*$", output)),
        p99_ms=_millis(_find(r"(?m)^\s+99%\s+(\S+)\s*$", output)),
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
        socket_errors=sum(int(n) for n in socket.groups()) if socket else 0,
        tool="wrk",
    )


def _find(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    if found is None:
        raise RuntimeError(f"wrk printed no {pattern!r}:\n{text}")
    return found[1]


def _millis(value: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if found is None:
        raise RuntimeError(f"wrk printed a latency of {value!r}")
    return float(found[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[found[2]]


def _lua(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class _Tally:
    latencies: list[float] = field(default_factory=list)
    non_2xx: int = 0
    socket_errors: int = 0


def _encoder(port: int, request: Request) -> Callable[[], bytes]:
    """The bytes of each next request: always the same, unless the request varies."""
    head = [f"{request.method} {request.path} HTTP/1.1", f"Host: {HOST}:{port}"]
    head += [f"{name}: {value}" for name, value in request.headers.items()]
    run, callers = secrets.token_hex(4), request.authorizations

    def encoded(n: int) -> bytes:
        body = request.body.replace(UNIQUE, f"{run}-{n}")
        lines = [*head, f"Authorization: {callers[n % len(callers)]}"] if callers else head
        length = [f"Content-Length: {len(body.encode())}"] if body else []
        return ("\r\n".join([*lines, *length]) + "\r\n\r\n" + body).encode()

    if not request.varies:
        raw = encoded(0)
        return lambda: raw
    numbers = itertools.count()
    return lambda: encoded(next(numbers))


async def _builtin(
    port: int, request: Request, *, connections: int, seconds: float, too_slow: float
) -> Load:
    raw = _encoder(port, request)
    tally = _Tally()
    started = time.monotonic()
    deadline = started + seconds
    await asyncio.gather(
        *(_connection(port, raw, deadline, too_slow, tally) for _ in range(connections))
    )
    elapsed = time.monotonic() - started
    ordered = sorted(tally.latencies) or [0.0]
    return Load(
        per_second=len(tally.latencies) / elapsed,
        p50_ms=ordered[len(ordered) // 2] * 1000,
        p99_ms=ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        non_2xx=tally.non_2xx,
        socket_errors=tally.socket_errors,
        tool="built-in generator",
    )


async def _connection(
    port: int, raw: Callable[[], bytes], deadline: float, too_slow: float, tally: _Tally
) -> None:
    while time.monotonic() < deadline:
        try:
            reader, writer = await asyncio.open_connection(HOST, port)
        except OSError:
            tally.socket_errors += 1
            await asyncio.sleep(0.01)
            continue
        try:
            while time.monotonic() < deadline:
                sent = time.monotonic()
                writer.write(raw())
                status_line = await reader.readline()
                length, close = 0, False
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.partition(b":")
                    if name.lower() == b"content-length":
                        length = int(value)
                    elif name.lower() == b"connection" and value.strip().lower() == b"close":
                        close = True
                await reader.readexactly(length)
                latency = time.monotonic() - sent
                if latency > too_slow:
                    tally.socket_errors += 1  # as wrk counts it: answered, but too late
                else:
                    tally.latencies.append(latency)
                if not status_line.startswith(b"HTTP/1.1 2"):
                    tally.non_2xx += 1
                if close:
                    break
        except (OSError, asyncio.IncompleteReadError, ValueError):
            tally.socket_errors += 1
        finally:
            writer.close()
