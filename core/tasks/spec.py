"""What a module declares through `register_tasks`: a named coroutine and its retry policy."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Task:
    """A background task: `run(runtime, session, **arguments)`, retried with backoff.

    `session` is the transaction that also marks the task done, so the task's writes and its
    completion commit together: it must not commit. Arguments are JSON values; they stay in
    the database, never in a broker message or a log line. `every` makes it periodic: enqueued
    once per interval by all instances together.
    """

    name: str  # "<module>.<verb>", e.g. "auth.prune"
    run: Callable[..., Awaitable[None]]
    every: timedelta | None = None
    retries: int = 5  # attempts after the first failure, then a dead letter
    backoff: float = 2.0  # seconds before the first retry; doubles each time
    backoff_max: float = 300.0
    timeout: float = 300.0  # one attempt's bound

    def delay(self, attempt: int, *, scale: float = 1.0) -> float:
        """Seconds to wait after failed attempt number `attempt` (1 for the first)."""
        return min(self.backoff * 2.0 ** (attempt - 1), self.backoff_max) * scale
