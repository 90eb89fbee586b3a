"""Errors of the roles module; the core renders each as problem+json."""

from __future__ import annotations

from collections.abc import Sequence

from core import ProblemError


class RoleNotFound(ProblemError):
    status = 404
    title = "Role not found"


class RoleExists(ProblemError):
    status = 409
    title = "Role already exists"


class LastRoleManager(ProblemError):
    """The change would leave no active user holding `roles:manage` (superusers count)."""

    status = 409
    title = "Last role manager"


class RoleManagersBusy(ProblemError):
    """Another change to who may manage roles is being committed; retrying succeeds."""

    status = 409
    title = "Role managers are changing"


class UnknownPermission(ProblemError):
    """A role names permissions no enabled module declares; shaped like the core's 422.

    The body points at each by its index and, like every 422, never echoes what was sent.
    """

    status = 422
    title = "Unprocessable Content"

    def __init__(self, unknown: Sequence[tuple[int, str]]) -> None:
        super().__init__(
            "The request has invalid field: permissions.",
            errors=[
                {
                    "loc": ["body", "permissions", index],
                    "field": "permissions",
                    "message": "no enabled module declares this permission",
                    "type": "unknown_permission",
                }
                for index, _ in unknown
            ],
        )
        self.unknown = [name for _, name in unknown]
