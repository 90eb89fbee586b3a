"""`trellis roles ...`: what an operator does before anyone may manage roles through the API."""

from __future__ import annotations

import asyncio

from typer.testing import CliRunner

from core.cli import CliOptions, create_root
from core.host import Host
from core.settings import Settings
from core.testing import plugins
from modules.roles.cli import build_cli
from modules.users import create_user

from .support import FAST_HASHING, MODULES

ANN = "ann@example.com"


def trellis(settings: Settings, *args: str) -> tuple[int, str]:
    options = CliOptions(settings=settings, plugins=plugins(MODULES, FAST_HASHING))
    result = CliRunner().invoke(create_root([build_cli()]), ["roles", *args], obj=options)
    return result.exit_code, result.output


def add_user(settings: Settings, email: str) -> None:
    async def run() -> None:
        host = Host.load(settings.plugins_file, config=plugins(MODULES, FAST_HASHING))
        runtime = host.runtime(settings)
        try:
            async with runtime.transaction() as session:
                await create_user(
                    runtime=runtime, session=session, email=email, password="a long password"
                )
        finally:
            await runtime.close()

    asyncio.run(run())


def test_permissions_and_roles_are_listed(settings: Settings) -> None:
    code, output = trellis(settings, "permissions")
    assert code == 0
    assert [line.split("\t")[0] for line in output.splitlines()] == ["users:admin", "roles:manage"]
    code, output = trellis(settings, "list")
    assert code == 0
    assert [line.split("\t")[:2] for line in output.splitlines()] == [
        ["admin", "roles:manage, users:admin"],
        ["user-manager", "users:admin"],
    ]


def test_a_role_is_created_granted_taken_back_and_deleted(settings: Settings) -> None:
    add_user(settings, ANN)
    created = trellis(settings, "create", "helpdesk", "--permission", "users:admin")
    assert created == (0, "Created role helpdesk: users:admin\n")
    assert trellis(settings, "grant", "helpdesk", "Ann@Example.com") == (
        0,
        "Granted helpdesk to Ann@Example.com\n",
    )
    assert trellis(settings, "grant", "helpdesk", ANN)[1] == f"{ANN} already holds helpdesk\n"
    assert trellis(settings, "revoke", "helpdesk", ANN) == (0, f"Took helpdesk back from {ANN}\n")
    assert trellis(settings, "revoke", "helpdesk", ANN)[1] == f"{ANN} does not hold helpdesk\n"
    assert trellis(settings, "delete", "helpdesk") == (0, "Deleted role helpdesk\n")


def test_mistakes_exit_1_with_one_line(settings: Settings) -> None:
    add_user(settings, ANN)
    cases = [
        (("create", "odd", "--permission", "notes:moderate"), "'notes:moderate'"),
        (("create", "Odd"), "name:"),
        (("create", "admin"), "already exists"),
        (("grant", "nobody", ANN), "no role is called 'nobody'"),
        (("grant", "admin", "bob@example.com"), "no user has the email bob@example.com"),
        (("delete", "nobody"), "no role is called 'nobody'"),
    ]
    for args, message in cases:
        code, output = trellis(settings, *args)
        assert code == 1, (args, output)
        assert output.startswith("error: ")
        assert message in output, (args, output)
        assert output.count("\n") == 1


def test_the_last_manager_is_kept(settings: Settings) -> None:
    add_user(settings, ANN)
    assert trellis(settings, "grant", "admin", ANN)[0] == 0
    code, output = trellis(settings, "revoke", "admin", ANN)
    assert code == 1
    assert "nobody who may manage roles" in output
