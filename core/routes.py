"""Which routes two modules would fight over: the same method on paths one request could match.

Starlette serves the first route that matches, so a module listed earlier could silently take
over another's `GET /users/me` with `GET /users/{id}`. Every pair of routes from different
owners is tested with sample paths built from both patterns; one path both match is a clash.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute, compile_path

# A value each path convertor accepts; a parameter is tried with its own and the other side's.
_SAMPLES = {
    "str": "x",
    "path": "x",
    "int": "0",
    "float": "0.5",
    "uuid": "0" * 8 + "-0000" * 3 + "-" + "0" * 12,
}
_PARAM = re.compile(r"{([^}:]+)(?::([^}]+))?}")


@dataclass(frozen=True)
class OwnedRoute:
    """A route as served: full path, methods (HEAD is answered as GET), and its owner."""

    owner: str
    path: str
    methods: frozenset[str]


def served_routes(
    owner: str, routes: Iterable[BaseRoute], prefix: str = ""
) -> Iterator[OwnedRoute]:
    """Flatten a router's routes under `prefix`; a mounted app claims everything below it."""
    for route in routes:
        if isinstance(route, Route):
            methods = frozenset(route.methods or {"GET"}) - {"HEAD"}
            yield OwnedRoute(owner, prefix + route.path, methods)
        elif isinstance(route, WebSocketRoute):
            yield OwnedRoute(owner, prefix + route.path, frozenset({"WEBSOCKET"}))
        elif isinstance(route, Mount):
            yield OwnedRoute(owner, prefix + route.path + "/{rest:path}", frozenset({"*"}))


def first_clash(routes: Iterable[OwnedRoute]) -> tuple[OwnedRoute, OwnedRoute, str] | None:
    """The first pair of routes of different owners answering one request, with that method."""
    seen: list[OwnedRoute] = []
    for route in routes:
        for earlier in seen:
            if earlier.owner == route.owner:
                continue
            shared = route.methods & earlier.methods
            if "*" in route.methods | earlier.methods:
                shared = route.methods | earlier.methods
            if shared and overlap(earlier.path, route.path):
                return earlier, route, min(shared)
        seen.append(route)
    return None


def overlap(first: str, second: str) -> bool:
    """Whether some request path matches both patterns."""
    first_regex, second_regex = compile_path(first)[0], compile_path(second)[0]
    return any(
        first_regex.match(path) and second_regex.match(path) for path in _witnesses(first, second)
    )


def _witnesses(first: str, second: str) -> Iterator[str]:
    """Sample paths: each side filled in alone, and both merged segment by segment."""
    yield from _filled(first)
    yield from _filled(second)
    a, b = first.split("/"), second.split("/")
    if len(a) != len(b):
        return
    choices = []
    for left, right in zip(a, b, strict=True):
        if "{" not in left:
            choices.append([left])
        elif "{" not in right:
            choices.append([right])
        else:
            choices.append([*_filled(left), *_filled(right)])
    for parts in itertools.product(*choices):
        yield "/".join(parts)


def _filled(pattern: str) -> list[str]:
    """The pattern with every parameter replaced by a value its convertor accepts."""
    return [_PARAM.sub(lambda m: _SAMPLES.get(m.group(2) or "str", "x"), pattern)]
