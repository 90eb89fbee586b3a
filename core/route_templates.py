"""The route template that answered a request, `/api/v1/users/{user_id}`, never the raw path.

The router notes the route it chose in the scope, but FastAPI notes the route as its module's
router declared it (`/users/{user_id}`, without the prefix it was included under), and
some routes note nothing. The full templates are read once from the app's routes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import fastapi.routing
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

__all__ = ["UNMATCHED", "RouteTemplates"]

UNMATCHED = "unmatched"  # the template of a request no route answers


class RouteTemplates:
    """The route templates of one app, read from its routes when first asked."""

    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        self._routes = routes
        self._served: list[tuple[Any, str]] | None = None  # (route as served, its template)
        self._declared: dict[int, str] = {}  # id of the route as declared -> full template

    def of(self, scope: Scope, status: int) -> str:
        """The template of the route that answered, else of the one that would have.

        Requests answered above the router (a 413 for a body too large, a CORS preflight)
        or on a copy of the scope (HEAD runs as GET) are matched again; a 404 found none.
        """
        served = self._load()
        route = scope.get("route")
        template = None
        if route is not None:
            template = self._declared.get(id(route)) or _template(route)
        if template is None and status != 404:
            template = _matching(scope, served)
        return template or UNMATCHED

    def _load(self) -> list[tuple[Any, str]]:
        if self._served is None:
            served = []
            for declared, as_served in _served_routes(self._routes):
                template = _template(as_served)
                if template is not None:
                    served.append((as_served, template))
                    self._declared.setdefault(id(declared), template)
            self._served = served
        return self._served


def _served_routes(routes: Sequence[BaseRoute]) -> Iterator[tuple[Any, Any]]:
    """Each route as declared and as served (with its prefix); the same in older FastAPI."""
    contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    if contexts is None:  # older FastAPI copies included routes, with their prefix
        yield from ((route, route) for route in routes)
        return
    for context in contexts(routes):
        yield context.original_route, context


def _template(route: Any) -> str | None:
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else None


def _matching(scope: Scope, served: list[tuple[Any, str]]) -> str | None:
    """The route matching path and method, else the first matching the path alone."""
    partial = None
    for route, template in served:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return template
        if match is Match.PARTIAL and partial is None:
            partial = template
    return partial
