"""Trellis beside the limits of its own stack, measured in one run, as ratios.

    python -m bench [--seconds 5] [--rounds 1] [--connections 32,64,256] [--workers 1]
                    [--access-log] [--set NAME=VALUE ...]

Starts `trellis serve` (the embedded default, or PostgreSQL/Redis from BENCH_DATABASE_URL /
BENCH_REDIS_URL; the database must be empty or migrated by Trellis) and the limit apps of
`bench.limits` under the same server settings, then measures every scenario against its limit
at each connection count, in interleaved rounds (the median is printed: our machines are
noisy). `wrk` is used when installed, else the built-in generator, which competes for the same
CPU: compare runs made with the same generator only. Then `/health` during a login storm, the
targets (`bench.targets`), and the principal resolver alone, in process (`bench.hot_path`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import threading
from collections import defaultdict
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from bench import accounts, hot_path, limits, memory, servers
from bench.loadgen import TIMEOUT, Load, Request, run
from bench.targets import TARGETS, Row, check
from core.plugins import read_plugins_file
from modules.users.config import UsersConfig

LOGIN_CONNECTIONS = 8  # the login ratio is read here, with a longer client timeout
LOGIN_TIMEOUT = 10.0
LIST_PAGE = 50
WRITERS = 8  # `PATCH /users/me` by several users in turn: one user's row would queue them
_NEW_USER = '{"email": "bench-{n}@example.com", "password": "a bench password"}'
_RENAME = '{"full_name": "Bench User"}'


def main() -> None:
    args = _arguments()
    extra = dict(item.split("=", 1) for item in args.set)
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        var = Path(folder)
        env = servers.trellis_env(var, {**accounts.ADMIN_ENV, **extra})
        log = var / "servers.log"
        trellis = stack.enter_context(
            servers.trellis(env, workers=args.workers, access_log=args.access_log, log=log)
        )
        token, login_body = accounts.sign_up(trellis.base)
        admin, _ = accounts.log_in(trellis.base, accounts.ADMIN_EMAIL, accounts.ADMIN_PASSWORD)
        accounts.seed(trellis.base, LIST_PAGE)
        writers = tuple(f"Bearer {t}" for t in accounts.sign_up_many(trellis.base, WRITERS))
        apps = {
            name: stack.enter_context(servers.limit_app(name, env, workers=args.workers, log=log))
            for name in ("hello", "jwt_verify", "orm_read")
        }
        # Without Redis each process keeps its own cache and revocation stamp: two servers
        # on one database would keep distrusting each other's caches (so would 2 workers).
        doubled = (
            stack.enter_context(
                servers.trellis(env, workers=2 * args.workers, access_log=args.access_log, log=log)
            )
            if "REDIS_URL" in env
            else None
        )
        rss_before = memory.rss_per_worker_mib(trellis.pid)
        auth = {"Authorization": f"Bearer {token}"}
        json = {"Content-Type": "application/json"}
        login = Request("/api/v1/auth/token", method="POST", headers=accounts.FORM, body=login_body)
        registration = Request("/api/v1/users", method="POST", headers=json, body=_NEW_USER)
        reads: list[tuple[str, int, Request]] = [
            ("health", trellis.port, Request("/health")),
            ("hello", apps["hello"].port, Request("/health")),
            ("me", trellis.port, Request("/api/v1/users/me", headers=auth)),
            ("jwt", apps["jwt_verify"].port, Request("/me", headers=auth)),
            ("orm", apps["orm_read"].port, Request("/me", headers=auth)),
            ("list", trellis.port, Request(f"/api/v1/users?limit={LIST_PAGE}",
                                           headers={"Authorization": f"Bearer {admin}"})),
            ("patch", trellis.port, Request("/api/v1/users/me", method="PATCH", headers=json,
                                            body=_RENAME, authorizations=writers)),
        ]  # fmt: skip
        if doubled is not None:
            reads.append(("me-doubled", doubled.port, Request("/api/v1/users/me", headers=auth)))
        rounds: dict[tuple[str, int], list[Load]] = defaultdict(list)
        ceilings: list[float] = []
        rounds_run = 0
        for _ in range(args.rounds):
            for c in args.connections:
                for key, port, request in reads:
                    rounds[(key, c)].append(run(port, request, connections=c, seconds=args.seconds))
            # Logins last: what their clients abandon keeps the server busy after they stop.
            for key, request in (("login", login), ("register", registration)):
                for c in dict.fromkeys([LOGIN_CONNECTIONS, *args.connections]):
                    # At c8 the ratio to the bcrypt ceiling is read: an answer there may take
                    # longer than 2 s on a busy machine without anything being wrong.
                    timeout = LOGIN_TIMEOUT if c == LOGIN_CONNECTIONS else TIMEOUT
                    rounds[(key, c)].append(
                        run(trellis.port, request, connections=c, seconds=args.seconds,
                            timeout=timeout)
                    )  # fmt: skip
                    servers.wait_until_idle(trellis)
            ceilings.append(limits.bcrypt_ceiling(_bcrypt_rounds(), seconds=args.seconds))
            quiet, storm = _health_during_storm(trellis.port, login, args.seconds)
            servers.wait_until_idle(trellis)
            rounds[("health-quiet", 8)].append(quiet)
            rounds[("health-storm", 8)].append(storm)
            rounds_run += 1
        rss = (rss_before, memory.rss_per_worker_mib(trellis.pid), _served(rounds, args.seconds))
    rows = _rows(rounds, statistics.median(ceilings), args.connections, args.workers)
    _print(rows, args, rounds_run)
    print(_rss_line(*rss))
    for line in asyncio.run(hot_path.run(calls=3000, concurrency=32)):
        print(line)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--connections", type=lambda v: [int(c) for c in v.split(",")], default=[32, 64, 256]
    )
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--access-log", action="store_true", help="as production: on")
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="a Trellis setting"
    )
    return parser.parse_args()


def _served(rounds: dict[tuple[str, int], list[Load]], seconds: float) -> float:
    """About how many requests the measured Trellis (not its doubled twin) answered."""
    limits_and_twin = ("hello", "jwt", "orm", "me-doubled")
    return sum(
        load.per_second * seconds
        for (key, _), loads in rounds.items()
        if key not in limits_and_twin
        for load in loads
    )


def _rss_line(before: list[float], after: list[float], served: float) -> str:
    def mib(values: list[float]) -> str:
        return ", ".join(f"{value:.0f}" for value in values)

    growth = (sum(after) - sum(before)) / sum(before) * 100 if sum(before) else 0.0
    return (
        f"RSS per worker: {mib(before)} MiB before, {mib(after)} MiB after ~{served:,.0f}"
        f" requests ({growth:+.1f}%)"
    )


def _bcrypt_rounds() -> int:
    settings = read_plugins_file(Path("plugins.toml")).settings.get("users", {})
    return UsersConfig.model_validate(settings).bcrypt_rounds


def _health_during_storm(port: int, login: Request, seconds: float) -> tuple[Load, Load]:
    """`GET /health` at 8 connections alone, then while 32 connections log in."""
    quiet = run(port, Request("/health"), connections=8, seconds=seconds)
    storm: list[Load] = []
    thread = threading.Thread(
        target=lambda: storm.append(run(port, login, connections=32, seconds=seconds + 2))
    )
    thread.start()
    try:
        during = run(port, Request("/health"), connections=8, seconds=seconds)
    finally:
        thread.join()
    return quiet, during


def _median(loads: list[Load], attribute: Callable[[Load], float]) -> float:
    return statistics.median(attribute(load) for load in loads)


def _summary(loads: list[Load]) -> Load:
    return Load(
        per_second=_median(loads, lambda load: load.per_second),
        p50_ms=_median(loads, lambda load: load.p50_ms),
        p99_ms=_median(loads, lambda load: load.p99_ms),
        non_2xx=sum(load.non_2xx for load in loads),
        socket_errors=sum(load.socket_errors for load in loads),
        tool=loads[0].tool,
    )


def _rows(
    rounds: dict[tuple[str, int], list[Load]], ceiling: float, connections: list[int], workers: int
) -> list[Row]:
    measured = {key: _summary(loads) for key, loads in rounds.items()}
    bcrypt = Load(ceiling, 0, 0, 0, 0, "in process")
    rows = []
    for c in connections:
        rows.append(Row("GET /health", c, measured[("health", c)], "bare FastAPI hello",
                        measured[("hello", c)]))  # fmt: skip
        rows.append(Row("GET /api/v1/users/me", c, measured[("me", c)], "PyJWT verify",
                        measured[("jwt", c)]))  # fmt: skip
        rows.append(Row("GET /api/v1/users/me", c, measured[("me", c)], "PyJWT + one ORM get",
                        measured[("orm", c)]))  # fmt: skip
        rows.append(Row(f"GET /api/v1/users?limit={LIST_PAGE}", c, measured[("list", c)], "",
                        None))  # fmt: skip
        rows.append(Row("PATCH /api/v1/users/me", c, measured[("patch", c)], "", None))
        if ("me-doubled", c) in measured:
            rows.append(Row(f"GET /api/v1/users/me, {2 * workers} workers", c,
                            measured[("me-doubled", c)], f"/users/me, {workers} worker(s)",
                            measured[("me", c)]))  # fmt: skip
    for c in dict.fromkeys([LOGIN_CONNECTIONS, *connections]):
        rows.append(Row("POST /api/v1/auth/token", c, measured[("login", c)],
                        f"bcrypt-{_bcrypt_rounds()} checks/s", bcrypt))  # fmt: skip
    for c in dict.fromkeys([LOGIN_CONNECTIONS, *connections]):
        rows.append(Row("POST /api/v1/users", c, measured[("register", c)],
                        f"bcrypt-{_bcrypt_rounds()} checks/s", bcrypt))  # fmt: skip
    rows.append(Row("GET /health, quiet", 8, measured[("health-quiet", 8)], "", None))
    rows.append(Row("GET /health, login storm c32", 8, measured[("health-storm", 8)], "", None))
    return rows


def _print(rows: list[Row], args: argparse.Namespace, rounds: int) -> None:
    tool = rows[0].trellis.tool
    print(
        f"\n{args.workers} worker(s), {args.seconds:g} s per measurement, median of {rounds}"
        f" round(s), {tool}; errors are totals over the rounds; load average at the end"
        f" {' '.join(f'{n:.1f}' for n in os.getloadavg())} on {os.cpu_count()} cores"
    )
    header = (
        f"{'scenario':<30} {'c':>4} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}"
        f" {'sock err':>8}   {'limit':<22} {'req/s':>8} {'p99 ms':>8} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(row.line())
    print()
    for verdict in check(rows, TARGETS):
        print(verdict)


if __name__ == "__main__":
    main()
