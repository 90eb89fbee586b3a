"""Disabling a module never turns another module's request into a 500.

The `memos` fixture (tests/fixtures/acme_memos, installed through `extra_plugins`) is the
third-party module of the bug report: `memos_memo` refers to `users_user` and its rows go away
on `user_deleted`. Once disabled, its subscriber stops but its table stays.
"""

from __future__ import annotations

import asyncio
import logging
import re
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from fastapi import APIRouter
from sqlalchemy import create_engine, func, select, table
from typer.testing import CliRunner, Result

from core import ModuleInfo, Mount, hookimpl
from core.cli import CliOptions, app
from core.deps import CurrentPrincipal, SessionDep
from core.settings import Settings
from core.testing import Backend, ClientFactory, plugins
from tests.fixtures.acme_memos import plugin as memos
from tests.fixtures.acme_memos.models import Memo
from tests.fixtures.databases import empty_database, sync_url

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "writing-a-module.md"
EXAMPLE = ROOT / "examples" / "notes"
MODULES = ["users", "auth"]
WITH_MEMOS = [*MODULES, "memos"]
FAST = {"users": {"bcrypt_rounds": 4}}
ME = "/api/v1/users/me"
PASSWORD = "correct horse battery"
REFERENCED = "This cannot be deleted or changed while other data still refers to it."
MEMO_ID = UUID("00000000-0000-4000-8000-000000000001")
runner = CliRunner()


class FixedMemo:
    """A TEST-ONLY module adding a memo with a fixed id: the second INSERT fails at commit."""

    router = APIRouter(prefix="/fixed-memo")

    @hookimpl
    def module_info(self) -> ModuleInfo:
        return ModuleInfo(name="fixed-memo", version="0.0.1", requires=("memos",))

    @hookimpl
    def register_routers(self) -> list[Mount]:
        return [Mount(self.router)]


@FixedMemo.router.post("", status_code=201)
async def add_fixed_memo(session: SessionDep, caller: CurrentPrincipal) -> dict[str, str]:
    """Nothing flushes here (autoflush is off): the INSERT runs in the session's commit."""
    session.add(Memo(id=MEMO_ID, owner_id=caller.id, body="fixed"))
    return {"id": str(MEMO_ID)}


def trellis(settings: Settings, modules: Sequence[str], *args: str) -> Result:
    options = CliOptions(settings=settings, plugins=plugins(modules), extra_plugins=(memos,))
    return runner.invoke(app, list(args), obj=options)


def rows(settings: Settings, name: str) -> int:
    engine = create_engine(sync_url(settings))
    try:
        with engine.connect() as connection:
            count = select(func.count()).select_from(table(name))
            return int(connection.execute(count).scalar_one())
    finally:
        engine.dispose()


@pytest.fixture
def memos_tables(settings: Settings) -> Iterator[Settings]:
    """memos' branch applied, as `trellis migrate` does once memos is enabled.

    Downgraded afterwards: PostgreSQL's test database serves the whole run, and the tests
    after this one do not install memos.
    """
    migrated = trellis(settings, WITH_MEMOS, "migrate")
    assert migrated.exit_code == 0, migrated.output
    yield settings
    trellis(settings, MODULES, "migrate", "--module", "memos", "--downgrade", "--to", "base")


def app_with(
    make_client: ClientFactory, modules: Sequence[str], *extra: object
) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    """An app of `modules`, with memos installed whether `plugins.toml` enables it or not."""
    return make_client(modules, FAST, extra_plugins=[memos, *extra])


async def signed_up(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    """Register through the users module, log in through auth; returns the bearer header."""
    created = await client.post("/api/v1/users", json={"email": email, "password": PASSWORD})
    assert created.status_code == 201, created.text
    form = {"username": email, "password": PASSWORD}
    token = await client.post("/api/v1/auth/token", data=form)
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def add(
    client: httpx.AsyncClient, path: str, body: dict[str, str], headers: dict[str, str]
) -> None:
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.text


async def test_enabled_memos_deletes_the_memos_of_a_deleted_user(
    make_client: ClientFactory, memos_tables: Settings
) -> None:
    async with app_with(make_client, WITH_MEMOS) as client:
        headers = await signed_up(client, "ada@example.com")
        await add(client, "/api/v1/memos", {"body": "buy milk"}, headers)
        assert rows(memos_tables, "memos_memo") == 1
        deleted = await client.delete(ME, headers=headers)
    assert deleted.status_code == 204
    assert rows(memos_tables, "memos_memo") == 0


async def test_disabled_memos_makes_deleting_its_user_a_409_that_changes_nothing(
    make_client: ClientFactory,
    memos_tables: Settings,
    backend: Backend,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with app_with(make_client, WITH_MEMOS) as client:
        headers = await signed_up(client, "bob@example.com")
        await add(client, "/api/v1/memos", {"body": "buy milk"}, headers)
    async with app_with(make_client, MODULES) as client:
        with caplog.at_level(logging.WARNING, logger="trellis.errors"):
            refused = await client.delete(ME, headers=headers)
        me = await client.get(ME, headers=headers)
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    body = refused.json()
    assert (body["title"], body["status"], body["detail"]) == ("Conflict", 409, REFERENCED)
    assert "FOREIGN KEY" not in refused.text
    assert "memos_memo" not in refused.text
    # Rolled back: the account, its login and its memo are all still there.
    assert me.status_code == 200
    assert me.json()["email"] == "bob@example.com"
    assert rows(memos_tables, "memos_memo") == 1
    [logged] = [r.getMessage() for r in caplog.records if r.name == "trellis.errors"]
    assert logged.startswith("foreign key violation on DELETE '/api/v1/users/me'")
    if backend.name == "postgres":  # SQLite does not say which key failed
        assert "table=memos_memo constraint=memos_memo_owner_id_fkey" in logged
    assert me.json()["id"] not in logged


async def test_disabled_memos_never_blocks_rows_it_declared_cascading(
    make_client: ClientFactory, memos_tables: Settings
) -> None:
    async with app_with(make_client, WITH_MEMOS) as client:
        headers = await signed_up(client, "cy@example.com")
        await add(client, "/api/v1/memos/labels", {"name": "shopping"}, headers)
    async with app_with(make_client, MODULES) as client:
        deleted = await client.delete(ME, headers=headers)
    assert deleted.status_code == 204
    assert rows(memos_tables, "memos_label") == 0


async def test_the_advice_works_downgrading_disabled_memos_unblocks_deletes(
    make_client: ClientFactory, memos_tables: Settings
) -> None:
    async with app_with(make_client, WITH_MEMOS) as client:
        headers = await signed_up(client, "di@example.com")
        await add(client, "/api/v1/memos", {"body": "buy milk"}, headers)
    async with app_with(make_client, MODULES) as client:
        assert (await client.delete(ME, headers=headers)).status_code == 409
        # The command the warning gives, with memos still disabled (asyncio.run needs a thread).
        args = ("migrate", "--module", "memos", "--downgrade", "--to", "base")
        dropped = await asyncio.to_thread(trellis, memos_tables, MODULES, *args)
        assert dropped.exit_code == 0, dropped.output
        assert dropped.stdout.strip() == "downgraded: memos"
        assert (await client.delete(ME, headers=headers)).status_code == 204


async def test_a_conflict_found_by_the_commit_is_a_409_too(
    make_client: ClientFactory, memos_tables: Settings
) -> None:
    async with app_with(make_client, [*WITH_MEMOS, "fixed-memo"], FixedMemo()) as client:
        headers = await signed_up(client, "ed@example.com")
        first = await client.post("/api/v1/fixed-memo", headers=headers)
        second = await client.post("/api/v1/fixed-memo", headers=headers)
    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json()["detail"] == "This conflicts with data that already exists."
    assert rows(memos_tables, "memos_memo") == 1


# --- docs/writing-a-module.md, "Disabling a module safely" ------------------------------------


def _blocks() -> list[tuple[str, str]]:
    """The (language, code) blocks of the section, dedented (some sit in list items)."""
    section = GUIDE.read_text().split("## Disabling a module safely\n", 1)[1].split("\n## ")[0]
    found = re.findall(r"^( *)```(\w+)\n(.*?)^\1```$", section, flags=re.M | re.S)
    return [(language, textwrap.dedent(code)) for _indent, language, code in found]


def test_the_guide_shows_the_example_model() -> None:
    """A cascading key, as the example module declares it (up to the guide's `...`)."""
    [python] = [code for language, code in _blocks() if language == "python"]
    shown = python.split("    ...\n")[0]
    assert 'ondelete="CASCADE"' in shown
    assert shown in (EXAMPLE / "trellis_notes" / "models.py").read_text()


def test_the_guide_shows_what_config_check_prints(tmp_path: Path) -> None:
    [console] = [code for language, code in _blocks() if language == "console"]
    command, *printed = console.splitlines()
    assert command == "$ trellis config check"
    with empty_database("sqlite", tmp_path) as settings:
        result = trellis(settings, ["health", *MODULES], "config", "check")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == printed
