"""Errors of the auth module, turned into problem+json by the core."""

from __future__ import annotations

from core import ProblemError, ProblemResponse, problem_response

BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}


class InvalidCredentials(ProblemError):
    """One answer for a wrong password, an unknown e-mail and an inactive account."""

    status = 401
    title = "Invalid credentials"

    def __init__(self) -> None:
        super().__init__("Incorrect e-mail or password.", headers=BEARER_CHALLENGE)


class InvalidRefreshToken(ProblemError):
    status = 401
    title = "Invalid refresh token"

    def __init__(self) -> None:
        super().__init__(
            "The refresh token is invalid, expired or revoked.", headers=BEARER_CHALLENGE
        )


class SessionNotFound(ProblemError):
    status = 404
    title = "Session not found"

    def __init__(self) -> None:
        super().__init__("No active session of yours has this id.")


def as_response(error: ProblemError) -> ProblemResponse:
    """The response the core would send for `error`, for a handler that must not raise."""
    return problem_response(
        error.status,
        title=error.title,
        detail=error.detail,
        type=error.type,
        headers=error.headers,
        **error.extra,
    )
