"""Whatever two modules both contribute stops start-up, in one line naming both of them.

Each rival is a third-party-shaped package installed with an entry point, as pip would.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.app import create_app
from core.cli import CliOptions, create_root
from core.host import DuplicateContribution
from core.settings import Settings
from core.testing import plugins
from tests.support.packages import Site, site_packages

ROUTER = """
from fastapi import APIRouter
from core import ModuleInfo, Mount, hookimpl

router = APIRouter(prefix="{prefix}", tags=["{tag}"])

@router.{method}("{path}")
async def {name}() -> dict[str, str]:
    return {{"hijacked": "yes"}}

@hookimpl
def module_info() -> ModuleInfo:
    return ModuleInfo(name="rogue", version="6.6.6")

@hookimpl
def register_routers() -> list[Mount]:
    return [Mount(router, prefix="{mount}")]
"""


def rogue_router(
    path: str,
    *,
    prefix: str = "",
    method: str = "get",
    tag: str = "rogue",
    name: str = "take",
    mount: str = "/api/v1",
) -> str:
    return textwrap.dedent(
        ROUTER.format(path=path, prefix=prefix, method=method, tag=tag, name=name, mount=mount)
    )


def rogue_with(hooks: str, imports: str = "") -> str:
    """A `rogue` module implementing `hooks` (source) besides module_info."""
    header = "from core import ModuleInfo, hookimpl\n" + textwrap.dedent(imports)
    info = textwrap.dedent(
        """
        @hookimpl
        def module_info() -> ModuleInfo:
            return ModuleInfo(name="rogue", version="6.6.6")
        """
    )
    return header + info + textwrap.dedent(hooks)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with site_packages(tmp_path) as installed:
        yield installed


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, var_dir=tmp_path, secret_key="k" * 40, auto_migrate=False)


def refused(settings: Settings, modules: list[str]) -> str:
    with pytest.raises(DuplicateContribution) as caught:
        create_app(settings, plugins=plugins(modules))
    message = str(caught.value)
    assert "\n" not in message
    return message


ROGUE = "'rogue' (rogue-pkg 6.6.6)"
USERS = "'users' (trellis 0.1.0)"


@pytest.mark.parametrize(
    ("route", "theirs"),
    [
        (rogue_router("/users/me"), "GET /api/v1/users/me"),
        (rogue_router("/users/{anything}"), "GET /api/v1/users/me"),
        (rogue_router("/users/{user_id}", method="delete"), "DELETE /api/v1/users/{user_id}"),
        (rogue_router("/{rest:path}", mount=""), "GET /openapi.json of the core"),
        (rogue_router("/health", mount=""), "GET /health"),
    ],
    ids=["same-path", "pattern-shadows-literal", "same-pattern", "catch-all", "health"],
)
def test_a_route_another_owner_serves_stops_start_up(
    site: Site, settings: Settings, route: str, theirs: str
) -> None:
    site.install("rogue-pkg", "6.6.6", rogue=route)
    message = refused(settings, ["rogue", "health", "users"])
    assert ROGUE in message
    assert theirs in message
    assert "one request would match both" in message


def test_a_module_before_users_cannot_answer_for_users_me(site: Site, settings: Settings) -> None:
    """The reported hijack: listed first, its GET /users/me used to win."""
    site.install("rogue-pkg", "6.6.6", rogue=rogue_router("/users/me"))
    message = refused(settings, ["rogue", "users"])
    assert message.startswith("the route GET /api/v1/users/me of 'users' (trellis 0.1.0)")
    assert ROGUE in message


def test_routes_that_cannot_meet_live_side_by_side(site: Site, settings: Settings) -> None:
    site.install("rogue-pkg", "6.6.6", rogue=rogue_router("/users/{n:int}/badge"))
    app = create_app(settings, plugins=plugins(["users", "rogue"]))
    assert {"/api/v1/users/me", "/api/v1/users/{n}/badge"} <= set(app.openapi()["paths"])


def test_an_operation_id_two_modules_share_stops_start_up(site: Site, settings: Settings) -> None:
    # A different path, but generated clients would get two `users-read_me` methods.
    site.install("rogue-pkg", "6.6.6", rogue=rogue_router("/rogue/me", tag="users", name="read_me"))
    message = refused(settings, ["users", "rogue"])
    assert message == f"the operation id 'users-read_me' is contributed by {USERS} and {ROGUE}"


def test_a_table_two_modules_claim_stops_start_up(site: Site, settings: Settings) -> None:
    site.install(
        "rogue-pkg",
        "6.6.6",
        rogue=rogue_with(
            """
            class Shadow(SQLModel, registry=registry(), table=True):
                __tablename__ = "users_user"
                id: int | None = Field(default=None, primary_key=True)

            @hookimpl
            def register_models() -> list[type[SQLModel]]:
                return [Shadow]
            """,
            imports="from sqlalchemy.orm import registry\nfrom sqlmodel import Field, SQLModel\n",
        ),
    )
    message = refused(settings, ["users", "rogue"])
    assert message == f"the table 'users_user' is contributed by {USERS} and {ROGUE}"


def test_a_health_check_named_like_the_cores_stops_start_up(site: Site, settings: Settings) -> None:
    site.install(
        "rogue-pkg",
        "6.6.6",
        rogue=rogue_with(
            """
            async def fine() -> None:
                return None

            @hookimpl
            def register_health_checks(runtime: Runtime) -> list[HealthCheck]:
                return [HealthCheck("database", probe=fine)]
            """,
            imports="from core import HealthCheck, Runtime\n",
        ),
    )
    message = refused(settings, ["health", "rogue"])
    assert message == f"the health check 'database' is contributed by the core and {ROGUE}"


def test_a_second_principal_resolver_stops_start_up(site: Site, settings: Settings) -> None:
    site.install(
        "rogue-pkg",
        "6.6.6",
        rogue=rogue_with(
            """
            async def everyone_is_admin(token: str) -> Principal:
                return Principal(id=uuid4(), rights=frozenset({EVERY_RIGHT}))

            @hookimpl
            def principal_resolver(runtime: Runtime) -> PrincipalResolver:
                return PrincipalResolver(resolve=everyone_is_admin, token_url="/rogue/token")
            """,
            imports=(
                "from uuid import uuid4\n"
                "from core import EVERY_RIGHT, Principal, PrincipalResolver, Runtime\n"
            ),
        ),
    )
    message = refused(settings, ["users", "auth", "rogue"])
    assert message == (
        "modules 'auth' (trellis 0.1.0) and 'rogue' (rogue-pkg 6.6.6) both implement "
        "principal_resolver; enable only one module that authenticates callers"
    )


@pytest.mark.parametrize(
    ("name", "owner"), [("users", USERS), ("migrate", "the core")], ids=["module", "built-in"]
)
def test_a_command_name_taken_stops_serve_and_fails_config_check(
    site: Site, settings: Settings, name: str, owner: str
) -> None:
    site.install(
        "rogue-pkg",
        "6.6.6",
        rogue=rogue_with(
            f"""
            @hookimpl
            def register_commands() -> list[typer.Typer]:
                return [typer.Typer(name="{name}")]
            """,
            imports="import typer\n",
        ),
    )
    options = CliOptions(settings=settings, plugins=plugins(["users", "rogue"]))
    for command in (["serve"], ["config", "check"]):
        result = CliRunner().invoke(create_root(), command, obj=options)
        assert result.exit_code == 1, result.output
        assert result.stderr.strip().splitlines() == [
            f"error: the command {name!r} is contributed by {owner} and {ROGUE}"
        ]
