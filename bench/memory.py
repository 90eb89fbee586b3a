"""Resident memory of a served app's worker processes, read from /proc (Linux only)."""

from __future__ import annotations

from pathlib import Path


def rss_per_worker_mib(pid: int) -> list[float]:
    """The RSS of each worker of the server `pid`: its children, or itself with no workers."""
    children = [
        stat.parent.name for stat in Path("/proc").glob("[0-9]*/stat") if _parent(stat) == str(pid)
    ]
    return [_rss_mib(p) for p in children or [str(pid)]]


def _parent(stat: Path) -> str | None:
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[1]
    except (OSError, IndexError):
        return None


def _rss_mib(pid: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
