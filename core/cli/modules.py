"""`trellis modules`: every installed module, enabled or not, and what it contributes."""

from __future__ import annotations

import typer

from core.cli.context import cli_options, load_settings
from core.cli.table import format_table
from core.plugins import InstalledModule, discover_modules, new_plugin_manager, read_plugins_file

HEADERS = ("name", "version", "enabled", "requires", "routes", "tables")


def list_modules() -> None:
    """List installed modules: version, whether enabled, requirements, routes and tables."""
    options = cli_options()
    plugins = options.plugins or read_plugins_file(load_settings().plugins_file)
    installed = discover_modules(options.extra_plugins)
    # plugins.toml order first, then the modules that are installed but not enabled.
    names = [*plugins.enabled, *sorted(set(installed) - set(plugins.enabled))]
    rows = [_row(installed[name], name in plugins.enabled) for name in names if name in installed]
    typer.echo(format_table(HEADERS, rows))


def _row(module: InstalledModule, enabled: bool) -> tuple[str, ...]:
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
        "yes" if enabled else "no",
        ", ".join(info.requires) or "-",
        str(routes),
        ", ".join(tables) or "-",
    )
