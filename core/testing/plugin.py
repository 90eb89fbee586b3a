"""The Trellis pytest plugin (entry point `pytest11: trellis`): fixtures for testing modules.

Installed with Trellis, active in every pytest run of its environment; a module's own tests
use it with nothing copied::

    async def test_notes_are_private(make_client):
        async with make_client(["users", "auth", "notes"]) as client:
            ...

Every test asking for `settings` (or `make_client`) runs on the embedded default (SQLite,
in-process cache), and again on PostgreSQL + Redis when TEST_DATABASE_URL / TEST_REDIS_URL are
set. Each backend's database is migrated once per session for every installed module; each
test starts from it as migrated (the rows migrations seed, such as the built-in roles, and no
other) and a cache key prefix of its own.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from core.runtime import Runtime
from core.settings import Settings
from core.testing.apps import ClientFactory, TrellisClient, client_for, random_prefix
from core.testing.databases import (
    Backend,
    Seeds,
    isolated_settings,
    migrate_every_module,
    postgres_database,
    read_seeds,
    truncate_all,
)
from core.testing.events import EventRecorder, recorder_for
from core.testing.tasks import Tasks


def _backends() -> list[str]:
    return ["sqlite", "postgres"] if os.environ.get("TEST_DATABASE_URL") else ["sqlite"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "backends(*names): run only on these backends, e.g. backends('postgres') for a test"
        " of what a network outage does (the embedded default has no network to lose)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One run per configured backend; `@pytest.mark.backends("postgres")` narrows them."""
    if "backend" not in metafunc.fixturenames:
        return
    wanted = _backends()
    marker = metafunc.definition.get_closest_marker("backends")
    if marker is not None:
        wanted = [name for name in wanted if name in marker.args]
    metafunc.parametrize("backend", wanted, indirect=True)


@pytest.fixture(scope="session")
def trellis_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated for every installed module, copied for each test."""
    var = tmp_path_factory.mktemp("trellis-template")
    migrate_every_module(isolated_settings(var))
    return var / "trellis.db"


@pytest.fixture(scope="session")
def trellis_postgres_url() -> Iterator[str]:
    """A database of this session's own on the TEST_DATABASE_URL server, dropped at the end."""
    with postgres_database(os.environ["TEST_DATABASE_URL"]) as url:
        migrate_every_module(isolated_settings(Path("var"), database_url=url))
        yield url


@pytest.fixture(scope="session")
def trellis_postgres_seeds(trellis_postgres_url: str) -> Seeds:
    """The rows the migrations seeded (built-in roles), given back after each truncate."""
    return read_seeds(trellis_postgres_url)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each test using it runs once per configured backend: `[sqlite]`, `[postgres]`."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("trellis_postgres_url")
        truncate_all(url, request.getfixturevalue("trellis_postgres_seeds"))
        return Backend("postgres", url, os.environ.get("TEST_REDIS_URL"))
    return Backend("sqlite", None, None)


@pytest.fixture
def settings(backend: Backend, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Settings for one test: its own database (or clean tables), its own cache keys."""
    if backend.database_url is None:
        template: Path = request.getfixturevalue("trellis_sqlite_template")
        shutil.copy(template, tmp_path / "trellis.db")
    return isolated_settings(
        tmp_path, database_url=backend.database_url, redis_url=backend.redis_url
    ).model_copy(update={"cache_prefix": random_prefix()})


@pytest.fixture
def trellis_recorders() -> list[EventRecorder]:
    """The event recorders of this test, enabled in every app `make_client` builds."""
    return []


@pytest.fixture
def trellis_runtimes() -> list[Runtime]:
    """The runtimes of the apps `make_client` is running now, latest last (for `tasks`)."""
    return []


@asynccontextmanager
async def _tracked(
    clients: AbstractAsyncContextManager[TrellisClient], runtimes: list[Runtime]
) -> AsyncIterator[TrellisClient]:
    async with clients as client:
        runtimes.append(client.runtime)
        try:
            yield client
        finally:
            runtimes.remove(client.runtime)


@pytest.fixture
def make_client(
    settings: Settings, trellis_recorders: list[EventRecorder], trellis_runtimes: list[Runtime]
) -> ClientFactory:
    """`async with make_client(["users", "notes"], {"notes": {...}}) as client:`.

    An app of exactly those modules (and what the test's `events` record), its lifespan
    running; `settings_override` changes process settings, `extra_plugins` adds in-memory ones.
    """

    def factory(
        modules: Sequence[str],
        module_settings: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        settings_override: Mapping[str, Any] | None = None,
        extra_plugins: Sequence[object] = (),
    ) -> AbstractAsyncContextManager[TrellisClient]:
        chosen = settings.model_copy(update=dict(settings_override or {}))
        names = [*modules, *(recorder.name for recorder in trellis_recorders)]
        clients = client_for(
            chosen, names, module_settings, extra_plugins=[*extra_plugins, *trellis_recorders]
        )
        return _tracked(clients, trellis_runtimes)

    return factory


@pytest.fixture
def events(trellis_recorders: list[EventRecorder]) -> Callable[[str], EventRecorder]:
    """`notes = events("note_archived")` before building the app; later `await notes.wait()`."""

    def record(event: str) -> EventRecorder:
        recorder = recorder_for(event)
        trellis_recorders.append(recorder)
        return recorder

    return record


@pytest.fixture
def tasks(trellis_runtimes: list[Runtime]) -> Tasks:
    """The outbox of the app `make_client` runs: `await tasks.settle()` waits (bounded) until
    every enqueued task is done or dead, `await tasks.rows("notes.digest")` lists one's rows."""
    return Tasks(trellis_runtimes)


@pytest.fixture
def mail_outbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A real SMTP server on loopback, and the environment pointing apps built later at it.

    Read what arrived with `await mail_outbox.wait_for("ann@example.com")`, which polls (up to
    `within` seconds) since mail leaves from a task after the request; to check that no mail
    went out, `await tasks.settle()` first, then read `mail_outbox.messages`.
    """
    from core.testing.outbox import SmtpSink  # aiosmtpd: only for tests that read mail

    server = SmtpSink().start()
    for name, value in {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(server.port),
        "SMTP_TLS": "false",
        "SMTP_SSL": "false",
        "EMAILS_FROM_EMAIL": "noreply@trellis.test",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SMTP_USER", raising=False)
    yield server
    server.stop()
