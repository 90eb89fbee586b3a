"""Request and response shapes. Bodies forbid unknown keys: `owner_id` can never be sent."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

Title = Annotated[str, Field(min_length=1, max_length=200)]
Body = Annotated[str, Field(max_length=10_000)]


class NoteCreate(BaseModel, extra="forbid"):
    title: Title
    body: Body = ""


class NoteUpdate(BaseModel, extra="forbid"):
    """Every field optional: only those sent change."""

    title: Title | None = None
    body: Body | None = None

    @field_validator("title", "body", mode="after")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Defaults are not validated, so this only fires on an explicit `null`.
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class NotePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    title: str
    body: str
    created_at: datetime
    updated_at: datetime


class NotesPublic(BaseModel):
    items: list[NotePublic]
    total: int
    limit: int
    offset: int


class NoteStats(BaseModel):
    """What a moderator may know: counts, never contents."""

    notes: int
    owners: int
