"""The first superuser, from FIRST_SUPERUSER_EMAIL / FIRST_SUPERUSER_PASSWORD at start-up."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.exc import DBAPIError

from core import ConfigError, Runtime
from modules.users.config import BootstrapSettings
from modules.users.exceptions import EmailTaken, PasswordRejected
from modules.users.schemas import Email
from modules.users.service import create_user, find_by_email

log = logging.getLogger("trellis.users")


async def ensure_superuser(*, runtime: Runtime, email: str, password: str) -> bool:
    """Create a verified superuser unless the email exists; True when one was created.

    Safe when several processes start together: the unique index lets one insert win and
    the others see EmailTaken, which here just means "already there".
    """
    async with runtime.transaction() as session:
        if await find_by_email(session=session, email=email) is not None:
            return False
        try:
            await create_user(
                runtime=runtime,
                session=session,
                email=email,
                password=password,
                is_superuser=True,
                is_verified=True,
            )
        except EmailTaken:
            return False
    return True


def superuser_from_env() -> tuple[str, str] | None:
    """The configured (email, password), or None; ConfigError when only half is set."""
    env = BootstrapSettings()
    if not env.first_superuser_email:
        return None
    if env.first_superuser_password is None:
        raise ConfigError("FIRST_SUPERUSER_EMAIL is set but FIRST_SUPERUSER_PASSWORD is not")
    try:
        email = TypeAdapter(Email).validate_python(env.first_superuser_email)
    except ValidationError:
        raise ConfigError("FIRST_SUPERUSER_EMAIL is not a valid email address") from None
    return email, env.first_superuser_password.get_secret_value()


@asynccontextmanager
async def bootstrap_superuser(runtime: Runtime) -> AsyncIterator[None]:
    """Lifespan: create the configured first superuser once, then stay out of the way."""
    wanted = superuser_from_env()
    if wanted is not None:
        email, password = wanted
        try:
            if await ensure_superuser(runtime=runtime, email=email, password=password):
                log.info("created the first superuser %s", email)
        except PasswordRejected as error:
            raise ConfigError(f"FIRST_SUPERUSER_PASSWORD {error.message}") from None
        except (DBAPIError, OSError) as error:
            # Like the core's start-up check: readiness reports an unreachable database.
            log.warning("could not ensure the first superuser: %s", type(error).__name__)
    yield
