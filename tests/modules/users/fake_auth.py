"""A TEST-ONLY principal resolver: the bearer token is simply the user's id.

`stale:<id>` stands for a token issued earlier: it claims an active superuser without asking
the database, so tests can check that the users module trusts its own rows, not the token.
"""

from __future__ import annotations

from uuid import UUID

from core import ModuleInfo, Principal, PrincipalResolver, hookimpl
from core.runtime import Runtime
from modules.users import get_user

NAME = "fake-auth"


def bearer(user_id: object, *, stale: bool = False) -> dict[str, str]:
    return {"Authorization": f"Bearer {'stale:' if stale else ''}{user_id}"}


async def resolve(runtime: Runtime, token: str) -> Principal | None:
    stale = token.startswith("stale:")
    try:
        user_id = UUID(token.removeprefix("stale:"))
    except ValueError:
        return None
    if stale:
        return Principal(id=user_id, email="stale@example.com", is_superuser=True)
    async with runtime.sessions() as session:
        account = await get_user(session=session, user_id=user_id)
    if account is None:
        return None
    return Principal(
        id=account.id,
        email=account.email,
        is_active=account.is_active,
        is_superuser=account.is_superuser,
    )


@hookimpl
def module_info() -> ModuleInfo:
    return ModuleInfo(name=NAME, version="0", requires=("users",))


@hookimpl
def principal_resolver() -> PrincipalResolver:
    return PrincipalResolver(resolve=resolve, token_url="/fake/token")
