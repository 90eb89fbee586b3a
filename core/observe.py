"""Each HTTP request measured once at the edge, for the access log and the request metrics.

A pure ASGI middleware like the rest of the edge. It sits outside the request-id middleware,
so it reads the id from the request's state once the request is over, and the client address
after TRUSTED_PROXIES has had its say (`core.proxies` wraps this one).
"""

from __future__ import annotations

import time
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.route_templates import RouteTemplates

__all__ = ["Exchange", "ObserveMiddleware", "Observer"]


@dataclass(frozen=True, slots=True)
class Exchange:
    """One answered request as the edge saw it."""

    method: str
    route: str  # the template, `/api/v1/users/{user_id}`, or "unmatched"
    status: int  # 500 when the app raised before answering
    seconds: float
    client: str | None
    user_id: str | None
    request_id: str


class Observer(Protocol):
    """Told when each HTTP request starts and when it is over."""

    def started(self, scope: Scope) -> None: ...

    def finished(self, scope: Scope, exchange: Exchange) -> None: ...


class ObserveMiddleware:
    """Time each HTTP request, note its status and route template, and tell the observers."""

    def __init__(
        self, app: ASGIApp, *, routes: Sequence[BaseRoute], observers: Sequence[Observer]
    ) -> None:
        self.app = app
        self.templates = RouteTemplates(routes)
        self.observers = tuple(observers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: MutableMapping[str, Any] = scope.setdefault("state", {})
        status = 500

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        for observer in self.observers:
            observer.started(scope)
        started = time.perf_counter()
        try:
            await self.app(scope, receive, noting_status)
        finally:
            principal = state.get("principal")  # set by core.deps when a token was resolved
            client = scope.get("client")
            exchange = Exchange(
                method=scope["method"],
                route=self.templates.of(scope, status),
                status=status,
                seconds=time.perf_counter() - started,
                client=client[0] if client else None,
                user_id=str(principal.id) if principal is not None else None,
                request_id=state.get("request_id", "-"),
            )
            for observer in self.observers:
                observer.finished(scope, exchange)
