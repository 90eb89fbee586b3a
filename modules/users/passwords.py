"""Password hashing: bcrypt over an HMAC-SHA256 pre-hash, off the event loop, in a bounded lane.

bcrypt reads at most 72 bytes (bcrypt 5 raises beyond that), so the password is first reduced to
base64(HMAC-SHA256(key, password)): 44 ASCII bytes, no NUL, every input byte counts. At most
`hash_concurrency` hashes run at once per worker; the next wait `hash_wait_seconds` for a slot,
then get a fast 503 with `Retry-After`, as requests beyond `MAX_IN_FLIGHT` do.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import threading
import unicodedata
import weakref
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import asynccontextmanager, suppress
from functools import lru_cache, partial
from typing import Any, TypeVar

import bcrypt

from core import Gate, Runtime, time_queued
from modules.users.config import UsersConfig
from modules.users.exceptions import HashingBusy, PasswordRejected
from modules.users.schemas import has_unstorable

# A fixed domain-separation key, not a secret. Keying with SECRET_KEY would lock every user out
# when the key is rotated; a constant still keeps these digests unrelated to the plain SHA-256
# hashes of leaked password lists, which could otherwise be matched against ours.
_PREHASH_KEY = b"trellis.modules.users.password.v1"
T = TypeVar("T")


def _prehash(password: str) -> bytes:
    # NFKC so that the same password typed on different keyboards (composed or not) matches.
    text = unicodedata.normalize("NFKC", password)
    # surrogatepass: a lone surrogate at login must fail to verify, not raise.
    digest = hmac.new(_PREHASH_KEY, text.encode("utf-8", "surrogatepass"), hashlib.sha256)
    return base64.b64encode(digest.digest())


def hash_password_sync(password: str, *, rounds: int) -> str:
    return bcrypt.hashpw(_prehash(password), bcrypt.gensalt(rounds)).decode("ascii")


def verify_password_sync(password: str, hashed: str) -> bool:
    try:
        return bcrypt.checkpw(_prehash(password), hashed.encode("ascii"))
    except ValueError:  # a malformed stored hash verifies nothing
        return False


class Hasher:
    """Hashing in a hashing thread while holding one of the worker's hashing slots."""

    def __init__(self, rounds: int, threads: Executor) -> None:
        self.rounds = rounds
        self.threads = threads
        self.pending: asyncio.Future[Any] | None = None

    async def _run(self, function: Callable[[], T]) -> T:
        # Shielded: a cancelled request cannot stop its thread, so the slot is given back
        # only when the thread ends (see `hashing`), never while it still takes a core.
        loop = asyncio.get_running_loop()
        self.pending = asyncio.ensure_future(loop.run_in_executor(self.threads, function))
        result: T = await asyncio.shield(self.pending)
        return result

    async def hash(self, password: str) -> str:
        return await self._run(partial(hash_password_sync, password, rounds=self.rounds))

    async def verify(self, password: str, hashed: str) -> bool:
        return await self._run(partial(verify_password_sync, password, hashed))

    async def verify_dummy(self, password: str) -> None:
        """Spend one bcrypt check for an unknown email, so timing does not reveal who exists."""
        rounds = self.rounds
        await self._run(lambda: verify_password_sync(password, _dummy_hash(rounds)))


_LANES: dict[int, tuple[Gate, Executor]] = {}
# Hashing threads yield to the event loop: a loop that waits for a core behind two bcrypt
# checks answers every other request late (`GET /health` p99 during a login storm).
HASHING_NICENESS = 10


def lane_for(runtime: Runtime) -> Gate:
    """The hashing slots of this runtime (one per app, so per worker), dropped with it."""
    return _lane(runtime)[0]


def _lane(runtime: Runtime) -> tuple[Gate, Executor]:
    key = id(runtime)
    lane = _LANES.get(key)
    if lane is None:
        config = runtime.settings_for(UsersConfig)
        limit = config.hash_concurrency or _cores()
        threads = ThreadPoolExecutor(
            limit, thread_name_prefix="trellis-hashing", initializer=_yield_to_the_loop
        )
        lane = _LANES[key] = (Gate(limit=limit, max_wait=config.hash_wait_seconds), threads)
        weakref.finalize(runtime, _LANES.pop, key, None)
        weakref.finalize(runtime, threads.shutdown, wait=False)
    return lane


def _yield_to_the_loop() -> None:
    """Lower this hashing thread's scheduling priority (Linux keeps one per thread)."""
    with suppress(AttributeError, OSError):  # no such call here, or refused: as it was
        thread = threading.get_native_id()
        niceness = os.getpriority(os.PRIO_PROCESS, thread) + HASHING_NICENESS
        os.setpriority(os.PRIO_PROCESS, thread, min(niceness, 19))


def _cores() -> int:
    """The CPU cores this process may run on (a container's share, where the OS says)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@asynccontextmanager
async def hashing(runtime: Runtime) -> AsyncIterator[Hasher]:
    """Hold one hashing slot for the block; HashingBusy (503) when none came free in time.

    Beyond the machine's cores more hashes only slow each other and the event loop down,
    and a login that waits longer than a client does is wasted work. The time the request
    already queued for a worker slot counts against this wait: in all, it waits at most
    `hash_wait_seconds` before hashing, and a client's 2 s timeout outlasts wait and hash.
    """
    lane, threads = _lane(runtime)
    within = lane.max_wait - time_queued()
    if not await lane.enter(wait=within > 0, within=within):
        raise HashingBusy()
    hasher = Hasher(runtime.settings_for(UsersConfig).bcrypt_rounds, threads)
    try:
        yield hasher
    finally:
        if hasher.pending is None or hasher.pending.done():
            lane.leave()
        else:
            hasher.pending.add_done_callback(lambda _: lane.leave())


@lru_cache(maxsize=16)
def _dummy_hash(rounds: int) -> str:
    return hash_password_sync("trellis-dummy-password", rounds=rounds)


def needs_rehash(hashed: str, *, rounds: int) -> bool:
    """True when the stored cost differs from the configured one (`$2b$12$...`)."""
    parts = hashed.split("$")
    return len(parts) < 4 or parts[2] != f"{rounds:02d}"


def password_policy(runtime: Runtime) -> tuple[int, int]:
    """(min, max) length in characters, for other modules validating passwords up front."""
    config = runtime.settings_for(UsersConfig)
    return config.password_min_length, config.password_max_length


def check_policy(runtime: Runtime, password: str, *, field: str) -> None:
    """Raise PasswordRejected naming `field` when `password` breaks the policy."""
    low, high = password_policy(runtime)
    if has_unstorable(password):  # NUL and such are typing accidents or attacks
        raise PasswordRejected(
            "must not contain control characters or invalid Unicode", field=field
        )
    # Code points as sent, as the OpenAPI document's minLength and maxLength count them. After
    # NFKC the count could differ from the document's ("e" + U+0301 is one "é", "ﬁ" two letters).
    length = len(password)
    if length < low:
        raise PasswordRejected(f"must be at least {low} characters long", field=field)
    if length > high:
        raise PasswordRejected(f"must be at most {high} characters long", field=field)
