"""Logging set-up: one line per record, carrying the request id."""

from __future__ import annotations

import logging

from core.middleware import request_id_var

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        return True


def configure_logging(level: str) -> None:
    """Idempotent (tests build many apps); defers to logging that someone else configured."""
    root = logging.getLogger("trellis")
    root.setLevel(level.upper())
    if root.handlers or logging.getLogger().handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.propagate = False
