"""User accounts. Other modules import only what is listed in `__all__` (declare `requires`)."""

from modules.users.exceptions import PasswordRejected, UserNotFound
from modules.users.passwords import password_policy
from modules.users.rights import active_superuser_ids, active_user_ids
from modules.users.schemas import NewPassword, UserAccount
from modules.users.service import (
    authenticate,
    create_user,
    get_user,
    get_user_by_email,
    mark_verified,
    set_password,
)

__all__ = [
    "NewPassword",
    "PasswordRejected",
    "UserAccount",
    "UserNotFound",
    "active_superuser_ids",
    "active_user_ids",
    "authenticate",
    "create_user",
    "get_user",
    "get_user_by_email",
    "mark_verified",
    "password_policy",
    "set_password",
]
