"""The outbox: one row per enqueued task, written in the enqueuing transaction.

A plain table on the shared metadata, created by the core's own migration (`core_0002`), so
autogenerate agrees with it. Statuses: pending (due at `run_after`), queued (handed to a
runner; `lease_until` bounds the wait for one), running (claimed; `lease_until` bounds the
attempt), done, dead (out of retries: a dead letter).
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import JSON, Column, Index, Integer, String, Table, Uuid
from sqlmodel import SQLModel

from core.timestamps import UTCDateTime


class Status(StrEnum):
    pending = "pending"
    queued = "queued"
    running = "running"
    done = "done"
    dead = "dead"


ERROR_LENGTH = 500

task_table = Table(
    "trellis_task",
    SQLModel.metadata,
    Column("id", Uuid(), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("arguments", JSON(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer(), nullable=False),
    Column("run_after", UTCDateTime(), nullable=False),
    Column("lease_until", UTCDateTime(), nullable=True),
    Column("last_error", String(ERROR_LENGTH), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_trellis_task_status_run_after", "status", "run_after"),
)
