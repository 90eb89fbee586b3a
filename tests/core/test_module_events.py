"""Any module publishes events of its own; others subscribe, in the publisher's transaction.

Two third-party-shaped packages, installed with entry points: `journal` subscribes to the users
module's `user_created` and publishes `journal_opened`, which `audit` receives.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.host import DuplicateContribution, Host
from core.plugins import ConfigError
from core.testing import ClientFactory, plugins
from tests.support.packages import Site, site_packages

JOURNAL_SPECS = '''
from uuid import UUID
from sqlalchemy.ext.asyncio import AsyncSession
from core import Runtime, hookspec

@hookspec
async def journal_opened(
    runtime: Runtime, session: AsyncSession, user_id: UUID, title: str
) -> None:
    """A journal was opened for a new user."""
'''

JOURNAL = """
from types import ModuleType
from uuid import UUID
from sqlalchemy.ext.asyncio import AsyncSession
from core import ModuleInfo, Runtime, hookimpl
from acme_journal import hookspecs

async def journal_opened(
    runtime: Runtime, session: AsyncSession, user_id: UUID, title: str
) -> None:
    await runtime.publish(
        "journal_opened", runtime=runtime, session=session, user_id=user_id, title=title
    )

@hookimpl
def module_info() -> ModuleInfo:
    return ModuleInfo(name="journal", version="1.0", requires=("users>=0.1",))

@hookimpl
def register_hookspecs() -> ModuleType:
    return hookspecs

@hookimpl
async def user_created(runtime: Runtime, session: AsyncSession, user_id: UUID) -> None:
    await journal_opened(runtime, session, user_id, f"Journal of {user_id}")
"""

AUDIT = """
from uuid import UUID
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from core import ModuleInfo, Runtime, hookimpl

SEEN: list[tuple[UUID, str, bool]] = []

@hookimpl
def module_info() -> ModuleInfo:
    return ModuleInfo(name="audit", version="1.0")

@hookimpl
async def journal_opened(
    runtime: Runtime, session: AsyncSession, user_id: UUID, title: str
) -> None:
    # Inside the registering request's transaction: the new row is visible, not yet committed.
    query = text("SELECT 1 FROM users_user WHERE id = :id")
    found = await session.execute(query, {"id": user_id.hex})
    SEEN.append((user_id, title, found.first() is not None))
"""


def module(source: str) -> str:
    return textwrap.dedent(source).lstrip()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with site_packages(tmp_path / "site") as installed:
        installed.install("acme-journal", "1.0", journal=module(JOURNAL))
        (tmp_path / "site/acme_journal/acme_journal/hookspecs.py").write_text(module(JOURNAL_SPECS))
        installed.install("acme-audit", "1.0", audit=module(AUDIT))
        yield installed


def seen() -> list[Any]:
    found: list[Any] = sys.modules["acme_audit.audit"].SEEN
    return found


async def register(make_client: ClientFactory, modules: list[str]) -> str:
    async with make_client(modules, {"users": {"bcrypt_rounds": 4}}) as client:
        response = await client.post(
            "/api/v1/users", json={"email": "jo@example.com", "password": "correct horse"}
        )
    assert response.status_code == 201, response.text
    user_id: str = response.json()["id"]
    return user_id


async def test_an_event_published_by_a_module_reaches_its_subscribers(
    site: Site, make_client: ClientFactory
) -> None:
    user_id = await register(make_client, ["users", "journal", "audit"])
    assert [(str(uid), title, visible) for uid, title, visible in seen()] == [
        (user_id, f"Journal of {user_id}", True)
    ]


async def test_subscribers_of_a_disabled_publisher_load_and_stay_idle(
    site: Site, make_client: ClientFactory
) -> None:
    await register(make_client, ["users", "audit"])
    assert seen() == []


def test_a_subscription_to_an_event_nobody_publishes_stops_start_up(site: Site) -> None:
    site.install(
        "acme-typo",
        "1.0",
        typo=module(
            """
            from core import ModuleInfo, hookimpl

            @hookimpl
            def module_info() -> ModuleInfo:
                return ModuleInfo(name="typo", version="1.0")

            @hookimpl
            async def journal_openned(runtime, session, user_id, title) -> None: ...
            """
        ),
    )
    with pytest.raises(ConfigError, match=r"unknown hook 'journal_openned'"):
        Host.load(Path("unused"), config=plugins(["typo"]))


def test_a_module_cannot_publish_a_hook_the_core_or_another_module_owns(site: Site) -> None:
    site.install(
        "acme-copy",
        "1.0",
        copy=module(
            """
            import sys
            from core import ModuleInfo, hookimpl, hookspec

            @hookspec
            async def user_created(runtime, session, user_id) -> None:
                \"\"\"Mine now.\"\"\"

            @hookimpl
            def module_info() -> ModuleInfo:
                return ModuleInfo(name="copy", version="1.0")

            @hookimpl
            def register_hookspecs():
                return sys.modules[__name__]
            """
        ),
    )
    with pytest.raises(DuplicateContribution) as caught:
        Host.load(Path("unused"), config=plugins(["users", "copy"]))
    assert str(caught.value) == (
        "the hook 'user_created' is published by 'users' (trellis 0.1.0) and 'copy' (acme-copy 1.0)"
    )
