"""Errors of the users module; the core renders each as problem+json."""

from __future__ import annotations

from core import ProblemError


class UserNotFound(ProblemError):
    status = 404
    title = "User not found"


class EmailTaken(ProblemError):
    status = 409
    title = "Email already registered"


class LastSuperuser(ProblemError):
    status = 409
    title = "Last active superuser"


class RegistrationClosed(ProblemError):
    status = 403
    title = "Registration is closed"


class WrongPassword(ProblemError):
    """The current password given to change it is wrong.

    400, not 401 or 403: the caller is authenticated and allowed; the body is what is wrong,
    and a 401 would make clients discard a perfectly valid token.
    """

    status = 400
    title = "Wrong password"


class AccountUnavailable(ProblemError):
    """The token is valid but its user was deleted or deactivated since it was issued."""

    status = 401
    title = "Not authenticated"

    def __init__(self, detail: str = "This account no longer exists or is inactive.") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class PasswordRejected(ProblemError):
    """The password breaks the configured policy; shaped like the core's validation 422."""

    status = 422
    title = "Unprocessable Content"

    def __init__(self, message: str, *, field: str = "password") -> None:
        super().__init__(
            f"The request has invalid field: {field}.",
            errors=[
                {"loc": ["body", field], "field": field, "message": message, "type": "password"}
            ],
        )
        self.field = field
        self.message = message


class HashingBusy(ProblemError):
    """Every password-hashing slot stayed taken through the bounded wait: retry shortly."""

    status = 503
    title = "Service Unavailable"

    def __init__(self, detail: str = "The server is busy. Please retry shortly.") -> None:
        super().__init__(detail, headers={"Retry-After": "1"})
