"""A TEST-ONLY principal resolver: the bearer token is simply the user's id.

`stale:<id>` stands for a token issued earlier: it claims an active superuser without asking
the database, so tests can check that the users module trusts its own rows, not the token.
"""

from __future__ import annotations

from functools import partial
from uuid import UUID

from core import EVERY_RIGHT, ModuleInfo, Principal, PrincipalResolver, Runtime, hookimpl
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
        return Principal(id=user_id, rights=frozenset({EVERY_RIGHT}))
    async with runtime.sessions() as session:
        account = await get_user(session=session, user_id=user_id)
    if account is None or not account.is_active:
        return None
    return Principal(id=account.id, rights=frozenset({EVERY_RIGHT} if account.is_superuser else ()))


@hookimpl
def module_info() -> ModuleInfo:
    return ModuleInfo(name=NAME, version="0", requires=("users",))


@hookimpl
def principal_resolver(runtime: Runtime) -> PrincipalResolver:
    return PrincipalResolver(resolve=partial(resolve, runtime), token_url="/fake/token")
