"""Await a module's events in a test: a recorder is a tiny module subscribing to one event."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

from core.hookspecs import PROJECT, hookimpl
from core.host import ask
from core.plugins import discover_modules
from core.records import ModuleInfo

# What a subscriber receives besides the event's own data.
_CONTEXT = frozenset({"runtime", "session"})


class EventRecorder:
    """Enabled next to the modules under test; keeps each delivery's arguments (but context).

    `recorder = events("note_archived")`, then `await recorder.wait()` returns the first
    delivery's arguments, e.g. `{"note_id": UUID(...), "owner_id": UUID(...)}`.
    """

    def __init__(self, event: str, parameters: tuple[str, ...]) -> None:
        self.event = event
        self.name = f"events-{event}"
        self.received: list[MappingProxyType[str, Any]] = []
        self._arrived = asyncio.Event()
        setattr(self, event, hookimpl(specname=event)(self._subscriber(parameters)))

    @hookimpl
    def module_info(self) -> ModuleInfo:
        return ModuleInfo(name=self.name, version="0")

    def _subscriber(self, parameters: tuple[str, ...]) -> Callable[..., Any]:
        # pluggy passes only the arguments a subscriber names, so it names all of the spec's.
        namespace: dict[str, Any] = {"record": self._record}
        signature = ", ".join(parameters)
        exec(  # noqa: S102 - a fixed template; the names come from a hook spec's signature
            f"async def subscriber({signature}):\n    record(locals())", namespace
        )
        subscriber: Callable[..., Any] = namespace["subscriber"]
        return subscriber

    def _record(self, arguments: dict[str, Any]) -> None:
        data = {key: value for key, value in arguments.items() if key not in _CONTEXT}
        self.received.append(MappingProxyType(data))
        self._arrived.set()

    async def wait(self, count: int = 1, *, within: float = 5.0) -> MappingProxyType[str, Any]:
        """The `count`-th delivery, once it arrived (AssertionError after `within` seconds)."""
        try:
            async with asyncio.timeout(within):
                while len(self.received) < count:
                    self._arrived.clear()
                    await self._arrived.wait()
        except TimeoutError:
            raise AssertionError(f"no {self.event} #{count} within {within}s") from None
        return self.received[count - 1]


def published_parameters(event: str) -> tuple[str, ...]:
    """The parameters of `event` as the installed module publishing it declares them."""
    for module in discover_modules().values():
        for namespace in ask(module, "register_hookspecs"):
            spec = getattr(namespace, event, None)
            if spec is not None and hasattr(spec, f"{PROJECT}_spec"):
                return tuple(inspect.signature(spec).parameters)
    raise LookupError(f"no installed module publishes the event {event!r}")


def recorder_for(event: str) -> EventRecorder:
    return EventRecorder(event, published_parameters(event))
