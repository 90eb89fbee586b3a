"""The `trellis` command, run in-process with Typer's CliRunner.

`CliOptions` passed as `obj` stand in for the environment and `plugins.toml`, so the fixture
modules of tests/fixtures can be enabled without installing them.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from core.cli import CliOptions, app, create_root
from core.host import Host
from core.logs import UVICORN_LOG_CONFIG
from core.settings import Environment, Settings
from core.testing import plugins
from tests.fixtures.databases import BACKENDS, FIXTURE_PLUGINS, empty_database, table_names
from tests.fixtures.gamma import GammaPlugin

from .test_references import MEMOS_WARNING

runner = CliRunner()


@pytest.fixture(params=BACKENDS)
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    with empty_database(request.param, tmp_path) as settings:
        yield settings


@pytest.fixture
def sqlite(tmp_path: Path) -> Iterator[Settings]:
    with empty_database("sqlite", tmp_path) as settings:
        yield settings


def trellis(
    settings: Settings | None,
    args: Sequence[str],
    modules: Sequence[str] = ("health",),
    module_settings: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    extra: Sequence[object] = FIXTURE_PLUGINS,
) -> Result:
    options = CliOptions(
        settings=settings, plugins=plugins(modules, module_settings), extra_plugins=tuple(extra)
    )
    host = Host.load(Path("unused"), config=options.plugins, extra_plugins=extra)
    return runner.invoke(create_root(host.commands()), list(args), obj=options)


def failed_with(result: Result, *fragments: str) -> None:
    """Exit 1 with one line on stderr that contains every fragment (and no traceback)."""
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]


# --- modules, config, openapi -----------------------------------------------------------------


def test_modules_lists_installed_modules_enabled_or_not(sqlite: Settings) -> None:
    result = trellis(sqlite, ["modules"], ["health", "alpha"])
    assert result.exit_code == 0, result.output
    cells = [re.split(r" {2,}", line) for line in result.stdout.splitlines()[1:]]
    rows = {row[0]: row for row in cells}
    assert {"health", "users", "auth", "alpha", "beta"} <= set(rows)
    assert rows["health"][:4] == ["health", "1.0.0", "trellis 0.1.0", "yes"]
    assert rows["alpha"][2:4] == ["-", "yes"]  # passed in memory: no distribution
    assert rows["beta"][3:] == ["no", "alpha", "0", "fixture_beta_item"]


def test_config_check_ok(sqlite: Settings) -> None:
    result = trellis(sqlite, ["config", "check"], ["health", "alpha", "beta"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("OK: 3 modules enabled (health, alpha, beta)")


def test_config_check_warns_about_a_disabled_module_blocking_deletes(sqlite: Settings) -> None:
    # memos (a fixture plugin, so installed) refers to users_user and is not enabled.
    result = trellis(sqlite, ["config", "check"], ["health", "users", "auth"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [f"warning: {MEMOS_WARNING}"]
    assert result.stdout.startswith("OK: 3 modules enabled (health, users, auth)")


@pytest.mark.parametrize(
    ("modules", "module_settings", "fragments"),
    [
        (["health", "nope"], None, ["unknown module 'nope'", "available: alpha, auth, beta"]),
        (["beta"], None, ["'beta' requires 'alpha'", "not enabled"]),
        (["alpha"], {"alpha": {"limit": "many"}}, ["[modules.alpha] limit:", "integer"]),
        (["alpha"], {"alpha": {"colour": "red"}}, ["[modules.alpha] colour:"]),
    ],
)
def test_config_check_names_the_problem(
    sqlite: Settings,
    modules: list[str],
    module_settings: dict[str, dict[str, Any]] | None,
    fragments: list[str],
) -> None:
    options = CliOptions(
        settings=sqlite, plugins=plugins(modules, module_settings), extra_plugins=FIXTURE_PLUGINS
    )
    failed_with(runner.invoke(app, ["config", "check"], obj=options), *fragments)


def test_config_check_reports_unsafe_settings_without_the_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", "hunter2-too-short")
    result = runner.invoke(app, ["config", "check"])
    failed_with(result, "SECRET_KEY must be set to at least 32 bytes")
    assert "hunter2" not in result.output


def test_openapi_prints_the_spec(sqlite: Settings) -> None:
    result = trellis(sqlite, ["openapi"])
    assert result.exit_code == 0, result.output
    spec = json.loads(result.stdout)
    assert "/health" in spec["paths"]


# --- serve ------------------------------------------------------------------------------------


def test_serve_runs_uvicorn_with_the_factory(
    sqlite: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ACCESS_LOG", "PROMETHEUS_MULTIPROC_DIR", "WEB_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    workers_see: list[str | None] = []

    def run(*args: Any, **kwargs: Any) -> None:
        calls.append((args, kwargs))
        workers_see.append(os.environ.get("WEB_CONCURRENCY"))

    monkeypatch.setattr("core.cli.serve.run_uvicorn", run)
    result = trellis(sqlite, ["serve", "--port", "9000", "--workers", "2", "--no-access-log"])
    assert result.exit_code == 0, result.output
    expected = {"host": "127.0.0.1", "port": 9000, "workers": 2, "reload": False}
    # The app writes the access log and applies TRUSTED_PROXIES itself; uvicorn's own would
    # log raw paths, and believe X-Forwarded-For from 127.0.0.1.
    handled_by_the_app = {"access_log": False, "proxy_headers": False}
    shutdown = {"timeout_graceful_shutdown": sqlite.shutdown_timeout}
    overload = {"backlog": 2048, "limit_concurrency": None, "loop": "asyncio"}
    # Heartbeats find dead peers; no compression, whose buffers every idle socket would hold.
    sockets = {
        "ws_ping_interval": 20.0,
        "ws_ping_timeout": 20.0,
        "ws_max_size": 64 * 1024,
        "ws_per_message_deflate": False,
    }
    assert calls == [
        (
            ("core.app:create_served_app",),
            {
                "factory": True,
                **expected,
                **handled_by_the_app,
                **shutdown,
                **overload,
                "log_config": UVICORN_LOG_CONFIG,
                **sockets,
            },
        ),
    ]
    assert workers_see == ["2"]  # each worker sizes its database pool by the worker count
    assert "ACCESS_LOG" not in os.environ  # set for the workers while serving, then restored
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    assert "WEB_CONCURRENCY" not in os.environ


def test_serve_takes_the_websocket_heartbeat_from_the_settings(
    sqlite: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("core.cli.serve.run_uvicorn", lambda *a, **kw: calls.append(kw))
    quick = sqlite.model_copy(update={"ws_ping_interval": 5.0, "ws_ping_timeout": 2.5})
    assert trellis(quick, ["serve"]).exit_code == 0
    assert [(kw["ws_ping_interval"], kw["ws_ping_timeout"]) for kw in calls] == [(5.0, 2.5)]


def test_serve_refuses_a_bad_configuration_in_one_line(
    sqlite: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("core.cli.serve.run_uvicorn", lambda *a, **kw: pytest.fail("started"))
    options = CliOptions(settings=sqlite, plugins=plugins(["beta"]), extra_plugins=FIXTURE_PLUGINS)
    failed_with(runner.invoke(app, ["serve"], obj=options), "requires 'alpha'")


def test_serve_in_production_needs_a_shared_cache_for_several_workers(
    sqlite: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("core.cli.serve.run_uvicorn", lambda *a, **kw: calls.append(kw))
    production = sqlite.model_copy(update={"environment": Environment.production})

    # Each worker's own cache would miss the logouts and revocations made in the others.
    failed_with(trellis(production, ["serve", "--workers", "2"]), "without REDIS_URL")
    assert calls == []
    assert trellis(production, ["serve"]).exit_code == 0
    shared = production.model_copy(update={"redis_url": "redis://127.0.0.1:6379/0"})
    assert trellis(shared, ["serve", "--workers", "2"]).exit_code == 0
    assert [kw["workers"] for kw in calls] == [1, 2]


def test_serve_in_production_refuses_smtp_credentials_in_clear_text(
    sqlite: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("core.cli.serve.run_uvicorn", lambda *a, **kw: pytest.fail("started"))
    for name, value in {
        "SMTP_HOST": "mail.example.com",
        "SMTP_USER": "mailer",
        "SMTP_PASSWORD": "smtp-pass-do-not-print",
        "SMTP_TLS": "false",
        "EMAILS_FROM_EMAIL": "noreply@example.com",
    }.items():
        monkeypatch.setenv(name, value)
    production = sqlite.model_copy(update={"environment": Environment.production})

    result = trellis(production, ["serve"])

    failed_with(result, "clear text")
    assert "smtp-pass-do-not-print" not in result.output


# --- migrations -------------------------------------------------------------------------------


def test_migrate_status_and_one_module_down_and_up(empty: Settings) -> None:
    modules = ["health", "alpha", "beta"]
    before = trellis(empty, ["migrations", "status"], modules)
    assert before.exit_code == 0, before.output
    assert [line.split() for line in before.stdout.splitlines()] == [
        ["module", "current", "head", "behind"],
        ["core", "-", "core_0002", "yes"],
        ["health", "-", "-", "no"],
        ["alpha", "-", "alpha_0002", "yes"],
        ["beta", "-", "beta_0001", "yes"],
    ]

    assert trellis(empty, ["migrate"], modules).stdout == "migrated: core, alpha, beta\n"
    assert trellis(empty, ["migrate"], modules).stdout.startswith("nothing to do")
    after = trellis(empty, ["migrations", "status"], modules).stdout.splitlines()
    assert after[3].split() == ["alpha", "alpha_0002", "alpha_0002", "no"]

    down = trellis(empty, ["migrate", "--module", "alpha", "--to", "base", "--downgrade"], modules)
    assert down.stdout == "downgraded: alpha, beta\n"  # beta's revision depends on alpha's
    assert not {"fixture_alpha_item", "fixture_beta_item"} & table_names(empty)
    up = trellis(empty, ["migrate", "--module", "alpha", "--to", "alpha_0001"], modules)
    assert up.stdout == "migrated: alpha\n"
    assert trellis(empty, ["migrate"], modules).stdout == "migrated: alpha, beta\n"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["migrate", "--to", "base"], "add --module NAME"),
        (["migrate", "--module", "alpha", "--downgrade"], "needs an explicit --to"),
        (["migrate", "--module", "alpha", "--to", "nope"], "nope"),
        (["migrate", "--module", "beta", "--to", "head"], "'beta' is not an enabled module"),
        (["migrations", "new", "health", "-m", "x"], "'health' is not an enabled module"),
    ],
)
def test_migrate_misuse_is_one_line(sqlite: Settings, args: list[str], fragment: str) -> None:
    failed_with(trellis(sqlite, args, ["health", "alpha"]), fragment)


def test_migrations_new_writes_the_first_revision_of_a_branch(
    empty: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "gamma_migrations"
    extra = [*FIXTURE_PLUGINS, GammaPlugin(folder)]
    modules = ["alpha", "gamma"]

    behind = trellis(
        empty, ["migrations", "new", "gamma", "-m", "create gamma"], modules, extra=extra
    )
    failed_with(behind, "behind for: core, alpha", "trellis migrate")

    assert trellis(empty, ["migrate"], modules, extra=extra).stdout == "migrated: core, alpha\n"
    new = trellis(empty, ["migrations", "new", "gamma", "-m", "create gamma"], modules, extra=extra)
    assert new.exit_code == 0, new.output
    written = folder / "gamma_0001_create_gamma.py"
    assert new.stdout == f"wrote {written}\n"
    source = written.read_text()
    assert 'branch_labels: str | Sequence[str] | None = ("gamma",)' in source
    assert 'depends_on: str | Sequence[str] | None = ["core_0001", "alpha_0002"]' in source
    assert "fixture_gamma_item" in source
    assert "fixture_alpha_item" not in source.split("sa.ForeignKeyConstraint")[0]  # scoped

    assert trellis(empty, ["migrate"], modules, extra=extra).stdout == "migrated: gamma\n"
    assert "fixture_gamma_item" in table_names(empty)
    again = trellis(empty, ["migrations", "new", "gamma", "-m", "again"], modules, extra=extra)
    assert again.stdout.startswith("no changes in the tables of 'gamma'")
    forced = trellis(
        empty, ["migrations", "new", "gamma", "-m", "data", "--empty"], modules, extra=extra
    )
    assert forced.exit_code == 0, forced.output
    assert (
        'down_revision: str | Sequence[str] | None = "gamma_0001"'
        in (folder / "gamma_0002_data.py").read_text()
    )


# --- module commands --------------------------------------------------------------------------


def test_module_commands_use_a_live_runtime(sqlite: Settings) -> None:
    behind = trellis(sqlite, ["alpha", "count"], ["alpha"])
    failed_with(behind, "schema is behind for: core, alpha; run `trellis migrate`")

    trellis(sqlite, ["migrate"], ["alpha"])
    result = trellis(sqlite, ["alpha", "count"], ["alpha"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "0 alpha items\n"
