"""Settings of the notes module, from `[modules.notes]` in plugins.toml."""

from __future__ import annotations

from pydantic import BaseModel, Field


class NotesConfig(BaseModel, extra="forbid"):
    """How many notes one user may keep, and the largest page a list returns."""

    max_notes_per_user: int = Field(500, ge=1)
    list_max_limit: int = Field(100, ge=1, le=1000)
