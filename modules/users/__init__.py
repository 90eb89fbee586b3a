"""User accounts. Other modules import only what is listed in `__all__` (declare `requires`)."""

from modules.users.exceptions import PasswordRejected, UserNotFound
from modules.users.passwords import password_policy
from modules.users.schemas import UserAccount
from modules.users.service import (
    authenticate,
    create_user,
    get_user,
    get_user_by_email,
    mark_verified,
    set_password,
)

__all__ = [
    "PasswordRejected",
    "UserAccount",
    "UserNotFound",
    "authenticate",
    "create_user",
    "get_user",
    "get_user_by_email",
    "mark_verified",
    "password_policy",
    "set_password",
]
