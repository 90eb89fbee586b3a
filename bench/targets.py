"""Speed targets, as ratios to the limit apps of the same run (absolute numbers are noisy).

Issue 12's targets. A bench run prints each as met or missed; nothing here is a timed test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from bench.loadgen import Load


@dataclass(frozen=True)
class Row:
    """One scenario at one connection count, beside its limit (None: no limit app)."""

    scenario: str
    connections: int
    trellis: Load
    limit_name: str
    limit: Load | None

    @property
    def ratio(self) -> float | None:
        if self.limit is None or not self.limit.per_second:
            return None
        return self.trellis.per_second / self.limit.per_second

    def line(self) -> str:
        t = self.trellis
        text = (
            f"{self.scenario:<30} {self.connections:>4} {t.per_second:>8.0f} {t.p50_ms:>8.1f}"
            f" {t.p99_ms:>8.1f} {t.non_2xx:>8} {t.socket_errors:>8}   {self.limit_name:<22}"
        )
        if self.limit is not None:
            limit = self.limit
            p99 = f"{limit.p99_ms:>8.1f}" if limit.tool != "in process" else f"{'':>8}"
            text += f" {limit.per_second:>8.0f} {p99} {self.ratio or 0:>6.2f}"
        return text


@dataclass(frozen=True)
class Target:
    text: str
    applies: Callable[[Row], bool]
    met: Callable[[Row], bool]


def _ratio_at_least(minimum: float) -> Callable[[Row], bool]:
    return lambda row: row.ratio is not None and row.ratio >= minimum


TARGETS: tuple[Target, ...] = (
    Target(
        "/health at least 0.8x the bare FastAPI hello",
        lambda row: row.scenario == "GET /health",
        _ratio_at_least(0.8),
    ),
    Target(
        "/users/me at least 0.5x the PyJWT-verify limit at c32 and c64",
        lambda row: row.limit_name == "PyJWT verify" and row.connections in (32, 64),
        _ratio_at_least(0.5),
    ),
    Target(
        "/users/me on twice the workers at least 1.6x of one worker (c64)",
        lambda row: row.scenario.endswith("workers") and row.connections == 64,
        _ratio_at_least(1.6),
    ),
    Target(
        "login at least 0.9x the bcrypt ceiling (c8)",
        lambda row: row.scenario.startswith("POST /api/v1/auth") and row.connections == 8,
        _ratio_at_least(0.9),
    ),
    Target(
        "no socket error (refused, reset, or over wrk's 2 s timeout) in any scenario",
        lambda row: True,
        lambda row: row.trellis.socket_errors == 0,
    ),
    Target(
        "/health p99 under 20 ms during a login storm",
        lambda row: row.scenario.endswith("login storm c32"),
        lambda row: row.trellis.p99_ms < 20,
    ),
)


def check(rows: Sequence[Row], targets: Sequence[Target]) -> Iterator[str]:
    """One line per target: met, or missed with the rows that miss it."""
    for target in targets:
        measured = [row for row in rows if target.applies(row)]
        if not measured:
            yield f"-       {target.text}: not measured in this run"
            continue
        missed = [row for row in measured if not target.met(row)]
        if not missed:
            yield f"met     {target.text}"
            continue
        where = ", ".join(f"{row.scenario} c{row.connections}" for row in missed)
        yield f"MISSED  {target.text}: {where}"
