"""uvicorn's handshake lines without query strings, where a misplaced token would sit.

uvicorn logs every WebSocket handshake on `uvicorn.error` with the raw path and query string
(`"WebSocket /api/v1/notifications?token=..." 403`), before the app has had its say. This
filter keeps the path and drops the query; the subprotocol header is never logged by anyone.
"""

from __future__ import annotations

import logging

__all__ = ["WebSocketPathFilter", "install_websocket_path_filter"]


class WebSocketPathFilter(logging.Filter):
    """Cut the query string off the path in uvicorn's `"WebSocket %s"` records."""

    def filter(self, record: logging.LogRecord) -> bool:
        message, args = record.msg, record.args
        if isinstance(message, str) and "WebSocket %s" in message and isinstance(args, tuple):
            record.args = tuple(
                arg.partition("?")[0] if isinstance(arg, str) and arg.startswith("/") else arg
                for arg in args
            )
        return True


def install_websocket_path_filter() -> None:
    """On `uvicorn.error`, once, whatever configured uvicorn's logging."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(found, WebSocketPathFilter) for found in logger.filters):
        logger.addFilter(WebSocketPathFilter())
