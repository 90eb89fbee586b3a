"""`trellis openapi`: the OpenAPI document of the enabled modules, for client generators."""

from __future__ import annotations

import asyncio
import json

import typer

from core.app import create_app
from core.cli.context import cli_options, load_settings
from core.runtime import Runtime


def print_openapi() -> None:
    """Print the OpenAPI JSON of the app that `plugins.toml` describes."""
    options = cli_options()
    app = create_app(load_settings(), plugins=options.plugins, extra_plugins=options.extra_plugins)
    typer.echo(json.dumps(app.openapi(), indent=2))
    runtime: Runtime = app.state.runtime
    asyncio.run(runtime.close())
