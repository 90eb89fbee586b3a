"""Errors of the notes module; the core renders each as problem+json."""

from __future__ import annotations

from core import ProblemError


class NoteNotFound(ProblemError):
    """No such note, or someone else's: the two answer alike, so ids reveal nothing."""

    status = 404
    title = "Note not found"

    def __init__(self, detail: str = "No note of yours has this id.") -> None:
        super().__init__(detail)


class TooManyNotes(ProblemError):
    status = 409
    title = "Too many notes"
