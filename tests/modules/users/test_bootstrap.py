"""The first superuser from the environment, at start-up, and `trellis users create-superuser`."""

from __future__ import annotations

import asyncio

import pytest
from typer.testing import CliRunner

from core.cli import CliOptions, create_root
from core.host import Host
from core.plugins import ConfigError
from core.runtime import Runtime
from core.settings import Settings
from core.testing import plugins
from modules.users import authenticate, get_user_by_email
from modules.users.bootstrap import ensure_superuser
from modules.users.cli import build_cli

from .conftest import UsersClient
from .helpers import ADMIN_EMAIL, ADMIN_PASSWORD, FAST, USERS, admin_headers


async def test_bootstrap_twice_creates_one_superuser(
    users_client: UsersClient, runtime: Runtime
) -> None:
    for _ in range(2):
        async with users_client() as client:
            listed = await client.get(USERS, headers=await admin_headers(runtime))
    assert listed.json()["total"] == 1
    async with runtime.sessions() as session:
        admin = await authenticate(
            runtime=runtime, session=session, email=ADMIN_EMAIL, password=ADMIN_PASSWORD
        )
    assert admin is not None
    assert (admin.is_superuser, admin.is_verified, admin.is_active) == (True, True, True)


async def test_racing_processes_create_one_superuser(runtime: Runtime) -> None:
    created = await asyncio.gather(
        *(
            ensure_superuser(runtime=runtime, email=ADMIN_EMAIL, password=ADMIN_PASSWORD)
            for _ in range(5)
        )
    )
    assert sorted(created) == [False] * 4 + [True]


async def test_without_the_environment_nobody_is_created(
    users_client: UsersClient, runtime: Runtime
) -> None:
    async with users_client(admin=False):
        pass
    async with runtime.sessions() as session:
        assert await get_user_by_email(session=session, email=ADMIN_EMAIL) is None


@pytest.mark.parametrize(
    ("email", "password", "reason"),
    [
        (ADMIN_EMAIL, None, "FIRST_SUPERUSER_PASSWORD is not"),
        ("not-an-email", ADMIN_PASSWORD, "not a valid email"),
        (ADMIN_EMAIL, "short", "at least 8"),
    ],
)
async def test_a_bad_bootstrap_environment_stops_start_up(
    users_client: UsersClient,
    monkeypatch: pytest.MonkeyPatch,
    email: str,
    password: str | None,
    reason: str,
) -> None:
    client = users_client(admin=False)
    monkeypatch.setenv("FIRST_SUPERUSER_EMAIL", email)
    if password is not None:
        monkeypatch.setenv("FIRST_SUPERUSER_PASSWORD", password)
    with pytest.raises(ConfigError, match=reason):
        async with client:
            pass


def _invoke(settings: Settings, args: list[str], stdin: str | None = None) -> tuple[int, str]:
    options = CliOptions(settings=settings, plugins=plugins(["users"], {"users": FAST}))
    result = CliRunner().invoke(
        create_root([build_cli()]), ["users", "create-superuser", *args], input=stdin, obj=options
    )
    return result.exit_code, result.output


async def _lookup(settings: Settings, email: str) -> tuple[bool, bool] | None:
    host = Host.load(settings.plugins_file, config=plugins(["users"], {"users": FAST}))
    runtime = host.runtime(settings)
    try:
        async with runtime.sessions() as session:
            found = await authenticate(
                runtime=runtime, session=session, email=email, password=ADMIN_PASSWORD
            )
    finally:
        await runtime.close()
    return (found.is_superuser, found.is_verified) if found else None


def test_cli_creates_a_superuser_by_flags(settings: Settings) -> None:
    flags = ["--email", "Boss@Example.com", "--password", ADMIN_PASSWORD]
    code, output = _invoke(settings, flags)
    assert (code, output.strip()) == (0, "Created superuser boss@example.com")
    assert asyncio.run(_lookup(settings, "boss@example.com")) == (True, True)
    again, message = _invoke(settings, flags)
    assert again == 1
    assert "already exists" in message


def test_cli_prompts_with_a_hidden_password(settings: Settings) -> None:
    stdin = f"ask@example.com\n{ADMIN_PASSWORD}\n{ADMIN_PASSWORD}\n"
    code, output = _invoke(settings, [], stdin)
    assert code == 0, output
    assert ADMIN_PASSWORD not in output
    assert asyncio.run(_lookup(settings, "ask@example.com")) == (True, True)


def test_cli_refuses_a_weak_password_or_bad_email(settings: Settings) -> None:
    weak, weak_output = _invoke(settings, ["--email", "w@example.com", "--password", "short"])
    bad, bad_output = _invoke(settings, ["--email", "nope", "--password", ADMIN_PASSWORD])
    assert weak == 1
    assert "at least 8 characters" in weak_output
    assert bad == 2
    assert "not a valid email" in bad_output
