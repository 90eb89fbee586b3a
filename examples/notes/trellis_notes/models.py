"""The notes table."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlmodel import Field, SQLModel

from core import UTCDateTime, utcnow


class Note(SQLModel, table=True):
    """A note. The database deletes it with its owner, even while this module is disabled."""

    __tablename__ = "notes_note"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    owner_id: UUID = Field(foreign_key="users_user.id", ondelete="CASCADE", index=True)
    title: str = Field(max_length=200)
    body: str = Field(default="", max_length=10_000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
