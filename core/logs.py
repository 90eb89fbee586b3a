"""Logging set-up: one line per record, carrying the request id, for the core and every module.

A module's own `logging.getLogger("acme_notes")` works with no set-up: unless someone else
configured logging, one handler sits on the root logger, so every logger reaches it, in one
format: readable text in development, JSON lines in production (LOG_FORMAT decides). The root
stays at WARNING, so chatty libraries stay quiet; LOG_LEVEL goes to `trellis` and to the
top-level package of each enabled module.

uvicorn's default log config leaves the root logger and existing loggers alone, and its own
loggers do not propagate: under plain `uvicorn core.app:create_app` its lines keep its own
format. `trellis serve` gives uvicorn `UVICORN_LOG_CONFIG` instead, so uvicorn's lines reach
the root handler and come out in the same format as everyone's, once each.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from types import ModuleType
from typing import TYPE_CHECKING, Any

from core.jsonlogs import JsonFormatter
from core.middleware import request_id_var

if TYPE_CHECKING:
    from core.settings import Settings

__all__ = [
    "CORE_LOGGER",
    "FORMAT",
    "UVICORN_LOG_CONFIG",
    "RequestIdFilter",
    "configure_logging",
    "json_logs",
    "package_logger",
]

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
CORE_LOGGER = "trellis"

# uvicorn's loggers keep no handler of their own and propagate to the root's; its access
# log is replaced by the app's (`core.access_log`).
UVICORN_LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "loggers": {
        "uvicorn": {"level": "INFO", "handlers": [], "propagate": True},
        "uvicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        "uvicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
    },
}


class RequestIdFilter(logging.Filter):
    """Stamp each record with the id of the request being served ("-" outside a request).

    A record that names its request itself keeps it: the access line is written once the
    request's context is over.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not isinstance(getattr(record, "request_id", None), str):
            record.request_id = request_id_var.get() or "-"
        return True


class _RootHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler `configure_logging` adds, told apart from anyone else's."""


def json_logs(settings: Settings) -> bool:
    """LOG_FORMAT, which defaults to JSON in production and text elsewhere."""
    if settings.log_format is None:
        return settings.is_production
    return settings.log_format == "json"


def configure_logging(
    level: str, *, module_loggers: Iterable[str] = (), json: bool = False
) -> None:
    """Set `level` on `trellis` and `module_loggers`; add our root handler if nobody else did.

    Idempotent, as tests build many apps: a second call finds the handler, adds none, and
    only sets its format. Someone else's set-up (a handler on the root or on `trellis`:
    pytest, `basicConfig`, a `--log-config` given to uvicorn) is left as it is.
    """
    for name in (CORE_LOGGER, *module_loggers):
        logging.getLogger(name).setLevel(level.upper())
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, _RootHandler)), None)
    if handler is None:
        if root.handlers or logging.getLogger(CORE_LOGGER).handlers:
            return
        handler = _RootHandler()
        handler.addFilter(RequestIdFilter())  # on the handler, so records of every logger get it
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter() if json else logging.Formatter(FORMAT))


def package_logger(plugin: object) -> str:
    """The logger of the top-level package a plugin lives in: `acme_notes.plugin` -> `acme_notes`.

    `getLogger(__name__)` anywhere in that package is a child of it, so LOG_LEVEL reaches them.
    """
    if isinstance(plugin, ModuleType):
        dotted: str = plugin.__name__
    else:  # a class or an instance: where it was defined
        dotted = getattr(plugin, "__module__", None) or type(plugin).__module__
    return dotted.partition(".")[0]
