"""`trellis modules`: every installed module, enabled or not, and what it contributes;
`trellis modules new NAME`: a new module's package, ready to install.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Annotated

import typer

from core.cli.context import cli_options, fail, load_settings
from core.cli.table import format_table
from core.plugins import InstalledModule, Problem, discover, new_plugin_manager, read_plugins_file
from core.scaffold import BadName, check_name, create_module

HEADERS = ("name", "version", "distribution", "enabled", "requires", "routes", "tables")

app = typer.Typer(name="modules", invoke_without_command=True)


@app.callback()
def modules(ctx: typer.Context) -> None:
    """List installed modules (without a sub-command), or start a new one with `new`."""
    if ctx.invoked_subcommand is None:
        list_modules()


@app.command("new")
def new_module(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="The module's name, in snake_case: team_notes.")
    ],
    path: Annotated[
        Path,
        typer.Option(metavar="DIR", help="Where to create NAME/.", show_default="current folder"),
    ] = Path(),
) -> None:
    """Create DIR/NAME: an installable package of a working module with its tests."""
    try:
        check_name(name, installed=_installed_names())
    except BadName as error:
        fail(str(error))
    target = path / name
    if target.exists():
        fail(f"{target} already exists")
    create_module(name, target)
    typer.echo(f"created {target}: the module {name!r}, its migration and its tests")
    typer.echo(f"next: pip install -e '{target}[dev]', enable {name!r} in plugins.toml,")
    typer.echo(f"      trellis migrate; run pytest in {target} (see its README.md)")


def _installed_names() -> dict[str, str]:
    """Every module name an installed distribution claims, even one that fails to load."""
    found = discover(cli_options().extra_plugins)
    names = {problem.module: "by a distribution that fails to load" for problem in found.problems}
    names |= {name: "by several distributions" for name in found.clashes}
    names |= {
        name: f"by {module.distribution or 'a plugin passed in memory'}"
        for name, module in found.modules.items()
    }
    return names


def list_modules() -> None:
    """List installed modules: version, distribution, whether enabled, requirements, routes
    and tables. Problems with modules `plugins.toml` does not name are printed as warnings."""
    options = cli_options()
    plugins = options.plugins or read_plugins_file(load_settings().plugins_file)
    found = discover(options.extra_plugins)
    # Every distribution claiming a clashing name gets a row: the listing shows who they are.
    candidates = {name: [module] for name, module in found.modules.items()}
    candidates |= {name: list(modules) for name, modules in found.clashes.items()}
    # plugins.toml order first, then the modules that are installed but not enabled.
    names = [*plugins.enabled, *sorted(set(candidates) - set(plugins.enabled))]
    rows = [
        _row(module, _state(name, plugins.enabled, found.clashes))
        for name in names
        for module in candidates.get(name, [])
    ]
    typer.echo(format_table(HEADERS, rows))
    _report(found.problems, plugins.mentioned)


def _state(name: str, enabled: Collection[str], clashes: Collection[str]) -> str:
    if name in clashes:
        return "clash"
    return "yes" if name in enabled else "no"


def _report(problems: Sequence[Problem], mentioned: Collection[str]) -> None:
    """Warn about modules nobody asked for; a problem with a named module fails the command."""
    for problem in problems:
        if problem.module not in mentioned:
            typer.echo(f"warning: {problem.message}", err=True)
    fatal = [problem for problem in problems if problem.module in mentioned]
    if fatal:
        fail(fatal[0].message)


def _row(module: InstalledModule, enabled: str) -> tuple[str, ...]:
    """Asks the module's own hooks, so a disabled module is described without enabling it."""
    pm = new_plugin_manager()
    pm.register(module.plugin)
    routes = sum(
        len(mount.router.routes) for mounts in pm.hook.register_routers() for mount in mounts
    )
    tables = [str(model.__tablename__) for models in pm.hook.register_models() for model in models]
    info = module.info
    return (
        info.name,
        info.version,
        module.distribution or "-",
        enabled,
        ", ".join(info.required_names) or "-",
        str(routes),
        ", ".join(tables) or "-",
    )
