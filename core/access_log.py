"""The access log: one line per request, in place of uvicorn's.

It names the route template, never the raw path or query string, where a token could sit;
no header is logged, so an Authorization value cannot be.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from starlette.types import Scope

from core.observe import Exchange

__all__ = ["ACCESS_LOGGER", "AccessLog"]

ACCESS_LOGGER = "trellis.access"
log = logging.getLogger(ACCESS_LOGGER)


class AccessLog:
    """Logs each finished request at INFO: readable text, and the same fields for JSON."""

    def __init__(self) -> None:
        self._template: dict[str, Any] = {}
        self._made_in: tuple[int, int] = (0, 0)  # the process and thread of the template

    def started(self, scope: Scope) -> None:
        return None

    def finished(self, scope: Scope, exchange: Exchange) -> None:
        if not log.isEnabledFor(logging.INFO):
            return
        duration_ms = round(exchange.seconds * 1000, 1)
        record = self._record()
        # The message formatted once, here: no `%` pass per handler.
        record.msg = (
            f"{exchange.method} {exchange.route} {exchange.status} {duration_ms:.1f}ms"
            f" client={exchange.client or '-'} user={exchange.user_id or '-'}"
        )
        record.request_id = exchange.request_id  # the request's own context is over
        record.method = exchange.method
        record.route = exchange.route
        record.status = exchange.status
        record.duration_ms = duration_ms
        record.client = exchange.client
        record.user_id = exchange.user_id
        log.handle(record)

    def _record(self) -> logging.LogRecord:
        """A fresh INFO record, copied from one `makeRecord` built in this process and thread.

        `LogRecord()` looks up the caller's file, thread and process for every line, which
        never change here: a third of the access line's cost. Only the time is new.
        """
        made_in = (os.getpid(), threading.get_ident())
        if made_in != self._made_in:
            template = log.makeRecord(ACCESS_LOGGER, logging.INFO, __file__, 0, "", (), None)
            self._template = vars(template).copy()
            self._made_in = made_in
        record = logging.LogRecord.__new__(logging.LogRecord)
        fields = record.__dict__
        fields.update(self._template)
        now = time.time()
        fields["created"] = now
        fields["msecs"] = int((now - int(now)) * 1000) + 0.0  # as LogRecord does
        fields["relativeCreated"] = (
            self._template["relativeCreated"] + (now - self._template["created"]) * 1000
        )
        return record
