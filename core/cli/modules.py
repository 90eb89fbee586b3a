"""`trellis modules`: every installed module, enabled or not, and what it contributes."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import typer

from core.cli.context import cli_options, fail, load_settings
from core.cli.table import format_table
from core.plugins import InstalledModule, Problem, discover, new_plugin_manager, read_plugins_file

HEADERS = ("name", "version", "distribution", "enabled", "requires", "routes", "tables")


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
