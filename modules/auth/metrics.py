"""The auth module's metrics, declared through the core so every worker's counts add up."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from core import ProblemError, metrics

LOGIN_ATTEMPTS = metrics.counter(
    "trellis_login_attempts_total", "Password logins, by outcome.", ["outcome"]
)
_REFUSALS = {429: "limited", 403: "unverified"}


@contextmanager
def login_outcome() -> Iterator[None]:
    """Count a login the service decided; our own failures (a 503) are not an outcome."""
    try:
        yield
    except ProblemError as refused:
        LOGIN_ATTEMPTS.labels(outcome=_REFUSALS.get(refused.status, "rejected")).inc()
        raise
    LOGIN_ATTEMPTS.labels(outcome="success").inc()
