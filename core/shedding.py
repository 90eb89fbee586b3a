"""Load shedding at the edge: a bounded number of requests in flight, a bounded wait for a slot.

Without a bound, every request a worker accepts runs at once: at a few hundred connections they
all share one event loop, the database and Redis pools, and each one's latency grows with their
number until clients time out or the pools' own timeouts fail them at random. Here each worker
runs at most `max_in_flight` requests; the next ones wait, first come first served, up to
`max_wait` seconds for a slot, and are then answered at once with a 503 problem+json carrying
`Retry-After`. A request either gets the worker's full attention or a fast, honest refusal.

The wait bounds only the queue; a waiter admitted late then takes as long as the requests
ahead of it did. So when the gate is full and a request holding a slot has already run longer
than `max_wait`, the worker is past the point where waiting pays (a waiter would spend its wait
and then at least that long again, past a client's patience): the next request is refused
without queueing. Its 503 still leaves after `max_wait`, as a waiter's would: a client that
retries at once (most load generators, many naive clients) would otherwise be answered
thousands of times a second, and those refusals would take the CPU the admitted requests need
to finish. The pause is a timer, not work, and one per open connection at most.

Liveness, readiness and metrics probes (`exempt` paths) are neither counted nor refused: an
overloaded worker is still alive, and a readiness probe failing under load would move the
load onto the other instances, which are as busy.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Collection
from contextvars import ContextVar

from starlette.types import ASGIApp, Receive, Scope, Send

from core.errors import problem_response
from core.metrics.standard import HTTP_SHED

__all__ = ["Gate", "LoadSheddingMiddleware", "time_queued"]

RETRY_AFTER_SECONDS = 1
_DETAIL = "The server is busy. Please retry shortly."


_QUEUED: ContextVar[float] = ContextVar("trellis_queued", default=0.0)


def time_queued() -> float:
    """Seconds the current request waited for one of the worker's slots (0 outside one).

    A later wait of its own (the users module's hashing lane) takes it off its bound: a
    client's patience is spent once, whichever queue it is spent in.
    """
    return _QUEUED.get()


class Gate:
    """At most `limit` holders at once; others wait in arrival order, each up to `max_wait`."""

    def __init__(self, *, limit: int, max_wait: float) -> None:
        if limit < 1:
            raise ValueError("the limit must be at least 1")
        self.limit = limit
        self.max_wait = max_wait
        self.in_flight = 0
        self._waiting: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @property
    def full(self) -> bool:
        """Whether the next request would have to wait."""
        return self.in_flight >= self.limit or bool(self._waiting)

    async def enter(self, *, wait: bool = True, within: float | None = None) -> bool:
        """Take a slot; False when none came free within `max_wait` (or `within`, when given),
        or at once unless `wait`."""
        if not self.full:
            self.in_flight += 1  # the fast path: no await, no timer
            return True
        max_wait = self.max_wait if within is None else within
        if not wait or max_wait <= 0:
            return False
        slot: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(slot)
        try:
            async with asyncio.timeout(max_wait):
                await slot
        except TimeoutError:
            # A slot handed over in the same instant the timer fired is ours: keep it.
            return slot.done() and not slot.cancelled()
        except asyncio.CancelledError:
            if slot.done() and not slot.cancelled():
                self.leave()  # handed a slot, then cancelled before using it: pass it on
            raise
        finally:
            if slot in self._waiting:  # timed out or cancelled: leave the queue
                self._waiting.remove(slot)
        return True

    def leave(self) -> None:
        """Give the slot back, straight to the longest waiter when there is one."""
        while self._waiting:
            slot = self._waiting.popleft()
            if not slot.done():  # one whose timer fired is still queued until it runs again
                slot.set_result(None)  # in_flight is unchanged: the slot changes hands
                return
        self.in_flight -= 1


class LoadSheddingMiddleware:
    """Runs a request once it holds one of the worker's slots; else a 503 with Retry-After.

    Installed inside the request-id middleware (the 503 carries X-Request-ID) and the observers
    (it is logged and counted like any answer), outside everything that does a request's work.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_in_flight: int,
        max_wait: float,
        exempt: Collection[str] = (),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.gate = Gate(limit=max_in_flight, max_wait=max_wait)
        self.exempt = frozenset(exempt)
        self.clock = clock
        self._admitted: dict[int, float] = {}  # id of each slot holder's scope: when it got in
        # Rendered once: under overload most answers are this one, and each costs the CPU
        # the admitted requests are waiting for.
        refusal = problem_response(
            503,
            title="Service Unavailable",
            detail=_DETAIL,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
        self._refusal = refusal.raw_headers, refusal.body

    def _overrun(self) -> bool:
        """Whether a request holding a slot has run longer than a waiter may wait."""
        oldest = min(self._admitted.values(), default=None)
        return oldest is not None and self.clock() - oldest > self.gate.max_wait

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        wait = not (self.gate.full and self._overrun())  # the scan only when it matters
        arrived = self.clock()
        if not await self.gate.enter(wait=wait):
            if not wait:
                await asyncio.sleep(self.gate.max_wait)  # paced: see the module's docstring
            HTTP_SHED.inc()
            headers, body = self._refusal
            # A list of its own: an outer middleware may change it in place.
            start = {"type": "http.response.start", "status": 503, "headers": list(headers)}
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        key = id(scope)
        admitted = self._admitted[key] = self.clock()
        queued = _QUEUED.set(admitted - arrived) if admitted > arrived else None
        try:
            await self.app(scope, receive, send)
        finally:
            if queued is not None:
                _QUEUED.reset(queued)
            del self._admitted[key]
            self.gate.leave()
