"""Metrics of several worker processes: prometheus_client's multiprocess mode.

When PROMETHEUS_MULTIPROC_DIR is set before a process imports prometheus_client, each value
lives in a file of that process (`counter_<pid>.db`) under the directory, and a scrape answered
by any worker adds up every process's files. `trellis serve` prepares the directory; a worker
lets its live gauges go when it stops, and a scrape drops those of workers that crashed.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

__all__ = ["ENV", "directory", "forget_this_process", "prepare", "registry"]

ENV = "PROMETHEUS_MULTIPROC_DIR"
_PID = re.compile(r"_(\d+)\.db$")


def directory() -> Path | None:
    """The shared directory, when this process runs in multiprocess mode."""
    value = os.environ.get(ENV)
    return Path(value) if value else None


def prepare(*, workers: int) -> Path | None:
    """Before serving: clear the operator's directory, or make one when several workers start.

    Files of earlier runs would add stale values to every scrape. This process's own files
    stay: it opened them when it imported prometheus_client, and with one worker it serves.
    Returns the directory made here, which the caller removes when the server stops.
    """
    folder = directory()
    made = None
    if folder is None:
        if workers == 1:
            return None
        folder = made = Path(tempfile.mkdtemp(prefix="trellis-metrics-"))
        os.environ[ENV] = str(folder)  # inherited by the workers uvicorn spawns
    folder.mkdir(parents=True, exist_ok=True)
    for path in folder.glob("*.db"):
        if _pid_of(path) != os.getpid():
            path.unlink(missing_ok=True)
    return made


def registry() -> CollectorRegistry:
    """What a scrape reads: every worker's files in multiprocess mode, else this process."""
    folder = directory()
    if folder is None:
        return REGISTRY
    _forget_the_dead(folder)
    merged = CollectorRegistry()
    MultiProcessCollector(merged, path=str(folder))  # type: ignore[no-untyped-call]
    return merged


def forget_this_process() -> None:
    """At a worker's exit: its in-flight and pool gauges no longer count."""
    if directory() is not None:
        mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def _forget_the_dead(folder: Path) -> None:
    """A worker that crashed never let its live gauges go; uvicorn started another meanwhile."""
    if os.name != "posix":  # os.kill(pid, 0) probes only on POSIX
        return
    for pid in {_pid_of(path) for path in folder.glob("gauge_live*.db")}:
        if pid is not None and not _alive(pid):
            mark_process_dead(pid, str(folder))  # type: ignore[no-untyped-call]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _pid_of(path: Path) -> int | None:
    match = _PID.search(path.name)
    return int(match[1]) if match else None
