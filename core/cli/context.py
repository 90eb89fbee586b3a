"""What every `trellis` command needs: settings, the plugin host, a live Runtime, and errors.

Module commands (contributed through `register_commands`) use these too::

    @app.command("create-superuser")
    def create_superuser(email: str) -> None:
        async def run() -> None:
            async with open_runtime() as runtime, runtime.transaction() as session:
                ...
        asyncio.run(run())
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import NoReturn

import typer
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError

from core.app import create_app
from core.host import DuplicateContribution, Host
from core.migrate import SchemaBehind, pending
from core.plugins import ConfigError, PluginsConfig
from core.runtime import Runtime
from core.settings import Settings

# The commands of `trellis` itself, which no module may take.
BUILT_IN = (
    "serve",
    "modules",
    "openapi",
    "migrate",
    "config",
    "migrations",
    "tasks",
    "worker",
    "beat",
)

# Errors a user can fix from their configuration or database: one line, exit 1, no traceback.
KNOWN_ERRORS = (
    ConfigError,
    ValidationError,
    DuplicateContribution,
    CommandError,
    RevisionError,
    DBAPIError,
    OSError,
)


@dataclass(frozen=True)
class CliOptions:
    """Overrides for tests (`CliRunner().invoke(app, args, obj=CliOptions(...))`).

    Left empty, commands read the environment and `plugins.toml` like the server does.
    """

    settings: Settings | None = None
    plugins: PluginsConfig | None = None
    extra_plugins: tuple[object, ...] = ()


_current: ContextVar[CliOptions | None] = ContextVar("trellis_cli_options", default=None)


def use_options(ctx: typer.Context) -> None:
    """Root callback: make `ctx.obj` (when it is CliOptions) visible to the helpers below."""
    token = _current.set(ctx.obj if isinstance(ctx.obj, CliOptions) else None)
    ctx.call_on_close(lambda: _current.reset(token))


def cli_options() -> CliOptions:
    return _current.get() or CliOptions()


def load_settings() -> Settings:
    """The process settings; a bad value raises pydantic's ValidationError."""
    return cli_options().settings or Settings()


def check_setup(settings: Settings | None = None) -> Host:
    """Assemble the app as `serve` would, plus the module commands, then let it go.

    Raises the first problem (a clash between modules included) as a one-line error.
    """
    options = cli_options()
    app = create_app(
        settings or load_settings(), plugins=options.plugins, extra_plugins=options.extra_plugins
    )
    host: Host = app.state.host
    host.commands(built_in=BUILT_IN)
    runtime: Runtime = app.state.runtime
    asyncio.run(runtime.close())
    return host


def load_host(settings: Settings | None = None) -> Host:
    """The enabled modules, validated; raises ConfigError with a one-line reason."""
    options = cli_options()
    settings = settings or load_settings()
    return Host.load(
        settings.plugins_file, config=options.plugins, extra_plugins=options.extra_plugins
    )


@asynccontextmanager
async def open_host_runtime() -> AsyncIterator[tuple[Runtime, Host]]:
    """The enabled modules and a Runtime of theirs for one command, closed afterwards."""
    settings = load_settings()
    host = load_host(settings)
    runtime = host.runtime(settings)
    try:
        yield runtime, host
    finally:
        await runtime.close()


@asynccontextmanager
async def open_runtime(*, check_schema: bool = True) -> AsyncIterator[Runtime]:
    """A Runtime for one command, closed afterwards; refuses a schema that is behind."""
    async with open_host_runtime() as (runtime, host):
        if check_schema and (behind := await pending(runtime, host)):
            raise SchemaBehind(
                f"the database schema is behind for: {', '.join(behind)}; run `trellis migrate`"
            )
        yield runtime


def fail(message: str) -> NoReturn:
    """Print `error: <message>` on one line to stderr and exit 1."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def describe(error: BaseException) -> str:
    """A one-line, secret-free description of a known error."""
    if isinstance(error, ValidationError):
        problems = []
        for item in error.errors(include_input=False, include_url=False):
            key = ".".join(str(part) for part in item["loc"]).upper()
            reason = item["msg"].removeprefix("Value error, ")
            problems.append(f"{key}: {reason}" if key else reason)
        return "settings: " + "; ".join(problems)
    if isinstance(error, DBAPIError):
        # The driver's message names host and port, never the password; the SQL is left out.
        return f"database: {str(error.orig).strip().splitlines()[0]}"
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
