"""WebSocket routes in the OpenAPI document, which has no way to describe them itself.

FastAPI leaves them out; here each one is listed in the document's description, with its
handler's docstring, and under `x-websockets` for tools, so a client developer reading
`/docs` learns they exist and how to speak to them.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any

from fastapi.routing import APIWebSocketRoute, iter_route_contexts
from starlette.routing import BaseRoute

__all__ = ["describe_websockets"]


def describe_websockets(schema: dict[str, Any], routes: Iterable[BaseRoute]) -> None:
    """Add every WebSocket route of the app to `schema` (in place)."""
    sockets = [
        {"path": context.path, "description": inspect.getdoc(context.original_route.endpoint) or ""}
        # As get_openapi walks them: routers included in routers, with their prefixes.
        for context in iter_route_contexts(list(routes))
        if isinstance(context.original_route, APIWebSocketRoute)
    ]
    if not sockets:
        return
    schema["x-websockets"] = sockets
    sections = [
        f"### `{socket['path']}` (WebSocket)\n\n{socket['description']}" for socket in sockets
    ]
    info = schema.setdefault("info", {})
    intro = info.get("description", "")
    info["description"] = "\n\n".join(filter(None, [intro, "## WebSockets", *sections]))
