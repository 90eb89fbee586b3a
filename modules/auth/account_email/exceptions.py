"""Errors of the account e-mail flows, turned into problem+json by the core."""

from __future__ import annotations

from core import ProblemError


class InvalidActionToken(ProblemError):
    """One answer for unknown, used, expired and mismatched tokens: none says which."""

    status = 400
    title = "Invalid or expired link"

    def __init__(self) -> None:
        super().__init__("This link is invalid, has expired or was already used.")


class AlreadyVerified(ProblemError):
    status = 409
    title = "Already verified"

    def __init__(self) -> None:
        super().__init__("Your e-mail address is already verified.")


class EmailNotVerified(ProblemError):
    """Sign-in refused until the address is confirmed (only after the password matched)."""

    status = 403
    title = "E-mail not verified"

    def __init__(self) -> None:
        super().__init__(
            "Confirm your e-mail address first; POST /api/v1/auth/verify/resend sends a new link."
        )
