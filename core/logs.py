"""Logging set-up: one line per record, carrying the request id, for the core and every module.

A module's own `logging.getLogger("acme_notes")` works with no set-up: unless someone else
configured logging, one handler sits on the root logger, so every logger reaches it. The root
stays at WARNING, so chatty libraries stay quiet; LOG_LEVEL goes to `trellis` and to the
top-level package of each enabled module.

uvicorn's default log config leaves the root logger and existing loggers alone, and its own
loggers do not propagate: whether it runs before this set-up (`uvicorn core.app:create_app`)
or after it (`trellis serve` builds the app once to check it), the lines come out once each.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from types import ModuleType

from core.middleware import request_id_var

__all__ = ["CORE_LOGGER", "FORMAT", "RequestIdFilter", "configure_logging", "package_logger"]

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
CORE_LOGGER = "trellis"


class RequestIdFilter(logging.Filter):
    """Stamp each record with the id of the request being served ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        return True


def configure_logging(level: str, *, module_loggers: Iterable[str] = ()) -> None:
    """Set `level` on `trellis` and `module_loggers`; add our root handler if nobody else did.

    Idempotent, as tests build many apps: a second call finds the handler and adds none.
    Someone else's set-up (a handler on the root or on `trellis`: pytest, `basicConfig`, a
    `--log-config` given to uvicorn) is left as it is.
    """
    for name in (CORE_LOGGER, *module_loggers):
        logging.getLogger(name).setLevel(level.upper())
    root = logging.getLogger()
    if root.handlers or logging.getLogger(CORE_LOGGER).handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RequestIdFilter())  # on the handler, so records of every logger get it
    root.addHandler(handler)


def package_logger(plugin: object) -> str:
    """The logger of the top-level package a plugin lives in: `acme_notes.plugin` -> `acme_notes`.

    `getLogger(__name__)` anywhere in that package is a child of it, so LOG_LEVEL reaches them.
    """
    if isinstance(plugin, ModuleType):
        dotted: str = plugin.__name__
    else:  # a class or an instance: where it was defined
        dotted = getattr(plugin, "__module__", None) or type(plugin).__module__
    return dotted.partition(".")[0]
