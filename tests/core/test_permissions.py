"""Modules declare the permissions they check; routes require declared ones, or start-up stops.

The modules are third-party-shaped packages installed with an entry point, as pip would.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.app import create_app
from core.host import DuplicateContribution
from core.permissions import UndeclaredPermission
from core.plugins import ConfigError
from core.settings import Settings
from core.testing import plugins
from tests.support.packages import Site, site_packages

ACME = """
from typing import Annotated

from fastapi import APIRouter, Depends

from core import ModuleInfo, Mount, Permission, Principal, hookimpl, require

router = APIRouter(prefix="/acme", tags=["acme"])
Reader = Annotated[Principal, Depends(require("{required}"))]


@router.get("/reports")
async def reports(_reader: Reader) -> dict[str, str]:
    return {{"report": "all well"}}


@hookimpl
def module_info() -> ModuleInfo:
    return ModuleInfo(name="{name}", version="1.0")


@hookimpl
def register_routers() -> list[Mount]:
    return [Mount(router)]


@hookimpl
def register_permissions() -> list[Permission]:
    return [{declared}]
"""


def acme(
    *,
    name: str = "acme",
    required: str = "acme:read",
    declared: tuple[str, ...] = ("acme:read",),
) -> str:
    permissions = ", ".join(f'Permission("{p}", "Read the reports.")' for p in declared)
    return textwrap.dedent(ACME.format(name=name, required=required, declared=permissions))


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with site_packages(tmp_path) as installed:
        yield installed


@pytest.fixture
def quiet(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, var_dir=tmp_path, secret_key="k" * 40, auto_migrate=False)


def refusal(settings: Settings, modules: list[str], error: type[ConfigError]) -> str:
    with pytest.raises(error) as caught:
        create_app(settings, plugins=plugins(modules))
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_the_enabled_modules_permissions_in_module_order(site: Site, quiet: Settings) -> None:
    site.install("acme-pkg", "1.0", acme=acme(declared=("acme:write", "acme:read")))
    app = create_app(quiet, plugins=plugins(["acme", "users", "system"]))
    declared = app.state.runtime.permissions
    assert list(declared) == ["acme:read", "acme:write", "users:admin", "system:inspect"]
    assert declared["acme:read"].module == "acme"


def test_a_route_requiring_an_undeclared_permission_stops_start_up(
    site: Site, quiet: Settings
) -> None:
    site.install("acme-pkg", "1.0", acme=acme(required="acme:raed"))
    message = refusal(quiet, ["acme"], UndeclaredPermission)
    assert message == (
        "the route GET /api/v1/acme/reports of 'acme' (acme-pkg 1.0) requires the permission "
        "'acme:raed', which no enabled module declares (declare it in register_permissions)"
    )


def test_a_route_requiring_a_disabled_modules_permission_stops_start_up(
    site: Site, quiet: Settings
) -> None:
    site.install("acme-pkg", "1.0", acme=acme(required="system:inspect"))
    message = refusal(quiet, ["acme"], UndeclaredPermission)
    assert "'system:inspect', which no enabled module declares" in message
    assert "is the module 'system' enabled" in message
    create_app(quiet, plugins=plugins(["acme", "system"]))  # enabled, it is fine


@pytest.mark.parametrize(
    "declared", ["users:admin", "acme", "acme:", "acme:Read", "acme:read-all", "Acme:read"]
)
def test_a_permission_not_named_after_its_module_stops_start_up(
    site: Site, quiet: Settings, declared: str
) -> None:
    site.install("acme-pkg", "1.0", acme=acme(declared=(declared, "acme:read")))
    message = refusal(quiet, ["acme"], ConfigError)
    assert message.startswith(f"module 'acme' (acme-pkg 1.0) declares the permission {declared!r}")
    assert "'acme:<verb>'" in message


def test_a_permission_declared_twice_stops_start_up(site: Site, quiet: Settings) -> None:
    site.install("acme-pkg", "1.0", acme=acme(declared=("acme:read", "acme:read")))
    message = refusal(quiet, ["acme"], DuplicateContribution)
    assert (
        message == "the permission 'acme:read' is contributed by module 'acme' (acme-pkg 1.0) twice"
    )


def test_two_modules_declaring_one_permission_are_both_named(site: Site, quiet: Settings) -> None:
    site.install("acme-pkg", "1.0", acme=acme())
    site.install("copycat-pkg", "2.0", copycat=acme(name="copycat", required="copycat:x"))
    message = refusal(quiet, ["acme", "copycat"], DuplicateContribution)
    assert message == (
        "the permission 'acme:read' is contributed by 'acme' (acme-pkg 1.0) "
        "and 'copycat' (copycat-pkg 2.0)"
    )
