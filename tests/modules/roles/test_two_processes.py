"""Two real API processes sharing PostgreSQL and Redis agree at once on a grant and its end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.host import Host
from core.settings import Settings
from core.testing import Backend, plugins
from modules.auth.testing import PASSWORD, sign_in, sign_up
from modules.users import create_user
from tests.support.apis import two_apis as running_apis

from .support import FAST_HASHING, MODULES, USERS, assert_problem

ROOT = "root@example.com"


@pytest.fixture
def two_apis(backend: Backend, settings: Settings, tmp_path: Path) -> Iterator[tuple[str, str]]:
    plugins_toml = 'enabled = ["users", "auth", "roles"]\n\n[modules.users]\nbcrypt_rounds = 4\n'
    with running_apis(backend, settings, tmp_path, plugins_toml) as urls:
        yield urls


async def add_superuser(settings: Settings) -> None:
    host = Host.load(settings.plugins_file, config=plugins(MODULES, FAST_HASHING))
    runtime = host.runtime(settings)
    try:
        async with runtime.transaction() as session:
            await create_user(
                runtime=runtime, session=session, email=ROOT, password=PASSWORD, is_superuser=True
            )
    finally:
        await runtime.close()


@pytest.mark.backends("postgres")  # two processes share only a networked database and cache
async def test_a_grant_on_one_process_is_honoured_by_the_other_at_once(
    two_apis: tuple[str, str], settings: Settings
) -> None:
    await add_superuser(settings)
    url_a, url_b = two_apis
    async with httpx.AsyncClient(base_url=url_a) as a, httpx.AsyncClient(base_url=url_b) as b:
        root = {"Authorization": f"Bearer {await sign_in(a, ROOT)}"}
        ann = await sign_up(a)
        grant = f"{USERS}/{ann.id}/roles/user-manager"
        assert_problem(await b.get(USERS, headers=ann.headers), 403)  # cached on b, no rights

        assert (await a.put(grant, headers=root)).status_code == 204
        assert (await b.get(USERS, headers=ann.headers)).status_code == 200
        assert (await a.get(USERS, headers=ann.headers)).status_code == 200

        assert (await b.delete(grant, headers=root)).status_code == 204
        assert_problem(await a.get(USERS, headers=ann.headers), 403)
        assert_problem(await b.get(USERS, headers=ann.headers), 403)
