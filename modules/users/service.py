"""Accounts: creation, lookup, authentication and passwords. Nothing here commits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from core import Runtime, utcnow
from modules.users import events
from modules.users.config import UsersConfig
from modules.users.exceptions import EmailTaken, RegistrationClosed, UserNotFound
from modules.users.models import User
from modules.users.passwords import check_policy, hashing, needs_rehash
from modules.users.schemas import UserAccount, UserCreate, has_unstorable, normalise_email


def _config(runtime: Runtime) -> UsersConfig:
    return runtime.settings_for(UsersConfig)


async def find_by_email(*, session: AsyncSession, email: str) -> User | None:
    """The row for `email` in any case: emails are stored normalised."""
    if has_unstorable(email):
        return None  # such an address was never stored; PostgreSQL would refuse the query
    statement = select(User).where(User.email == normalise_email(email))
    return (await session.execute(statement)).scalars().first()


async def lock_user(*, session: AsyncSession, user_id: UUID) -> User | None:
    """The row as last committed, locked until the transaction ends (PostgreSQL)."""
    statement = (
        select(User)
        .where(col(User.id) == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalars().first()


async def load_user(*, session: AsyncSession, user_id: UUID) -> User:
    """The row for `user_id`, or UserNotFound."""
    user = await session.get(User, user_id)
    if user is None:
        raise UserNotFound(f"No user has the id {user_id}.")
    return user


async def save_unique_email(*, session: AsyncSession, user: User) -> None:
    """Flush `user` in a savepoint; the unique index, not a prior read, decides EmailTaken."""
    try:
        async with session.begin_nested():
            session.add(user)
            await session.flush()
    except IntegrityError:
        raise EmailTaken("An account with this email already exists.") from None


async def create_user(
    *,
    runtime: Runtime,
    session: AsyncSession,
    email: str,
    password: str,
    full_name: str | None = None,
    is_superuser: bool = False,
    is_verified: bool = False,
) -> User:
    """Create an account after checking the password policy; EmailTaken on a duplicate."""
    check_policy(runtime, password, field="password")
    async with hashing(runtime) as hasher:
        hashed = await hasher.hash(password)
    user = User(
        email=normalise_email(email),
        hashed_password=hashed,
        full_name=full_name,
        is_superuser=is_superuser,
        is_verified=is_verified,
    )
    await save_unique_email(session=session, user=user)
    await events.user_created(runtime, session, user.id)
    return user


async def register(*, runtime: Runtime, session: AsyncSession, data: UserCreate) -> User:
    """Public self-registration, unless switched off in plugins.toml."""
    if not _config(runtime).registration_enabled:
        raise RegistrationClosed("Registration is disabled on this server.")
    return await create_user(
        runtime=runtime,
        session=session,
        email=data.email,
        password=data.password,
        full_name=data.full_name,
    )


# --- public surface (re-exported by modules.users) --------------------------------------------


async def get_user(*, session: AsyncSession, user_id: UUID) -> UserAccount | None:
    """The account with this id, or None."""
    user = await session.get(User, user_id)
    return UserAccount.model_validate(user) if user else None


async def get_user_by_email(*, session: AsyncSession, email: str) -> UserAccount | None:
    """The account with this email in any letter case, or None."""
    user = await find_by_email(session=session, email=email)
    return UserAccount.model_validate(user) if user else None


async def authenticate(
    *,
    runtime: Runtime,
    session: AsyncSession,
    email: str,
    password: str,
    before_check: Callable[[], Awaitable[None]] | None = None,
) -> UserAccount | None:
    """The account when email and password match an active user; otherwise None.

    An unknown email still costs one bcrypt check, so response time does not reveal which
    addresses have accounts. A hash of an outdated cost is upgraded on success.
    `before_check` is awaited once the lookup has answered and before the password is
    checked, for known and unknown addresses alike: where a caller counts an attempt that
    will be decided (an exception from it propagates, and nothing is checked).
    """
    # Looked up in a short read of its own, so no connection (nor, on SQLite, the write lock)
    # is held through the bcrypt check: concurrent logins would otherwise drain the pool.
    async with runtime.read_sessions() as lookup:
        found = await find_by_email(session=lookup, email=email)
    # The slot is taken before the attempt is counted: a 503 for a busy server decides nothing.
    async with hashing(runtime) as hasher:
        if before_check is not None:
            await before_check()
        if found is None:
            await hasher.verify_dummy(password)
            return None
        checked = found.hashed_password
        if not await hasher.verify(password, checked) or not found.is_active:
            return None
        rehash = needs_rehash(checked, rounds=hasher.rounds)
        upgraded = await hasher.hash(password) if rehash else None
    # The check took a bcrypt's time unlocked: a password change, deactivation or deletion
    # committed meanwhile has revoked the sessions it could see, not the one this login is
    # about to open. Lock the row until the caller commits, and confirm nothing changed.
    current = await lock_user(session=session, user_id=found.id)
    if current is None or not current.is_active or current.hashed_password != checked:
        return None
    if upgraded is not None:
        current.hashed_password = upgraded
        session.add(current)
        await session.flush()
    return UserAccount.model_validate(current)


async def set_password(
    *, runtime: Runtime, session: AsyncSession, user_id: UUID, new_password: str
) -> None:
    """Check the policy (PasswordRejected naming `new_password`), store the hash, emit the event.

    Raises UserNotFound for an unknown id.
    """
    check_policy(runtime, new_password, field="new_password")
    # Hashed before the row is loaded, so the transaction holds no lock through bcrypt.
    async with hashing(runtime) as hasher:
        hashed = await hasher.hash(new_password)
    user = await load_user(session=session, user_id=user_id)
    user.hashed_password = hashed
    user.updated_at = utcnow()
    session.add(user)
    await session.flush()
    await events.user_password_changed(runtime, session, user.id)


async def mark_verified(*, runtime: Runtime, session: AsyncSession, user_id: UUID) -> None:
    """Mark the email verified; a no-op (no event) when it already is. UserNotFound if unknown."""
    user = await load_user(session=session, user_id=user_id)
    if user.is_verified:
        return
    user.is_verified = True
    user.updated_at = utcnow()
    session.add(user)
    await session.flush()
    await events.user_updated(runtime, session, user.id, frozenset({"is_verified"}))
