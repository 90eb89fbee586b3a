"""Hashing, authentication and the public password functions."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

import bcrypt
import pytest

from core.runtime import Runtime
from modules.users import (
    PasswordRejected,
    UserNotFound,
    authenticate,
    get_user_by_email,
    password_policy,
    set_password,
)
from modules.users import service as service_module
from modules.users.passwords import (
    HASHING_NICENESS,
    Hasher,
    hash_password_sync,
    hashing,
    verify_password_sync,
)
from modules.users.service import create_user

from .helpers import PASSWORD


def test_long_passwords_differing_after_72_bytes_do_not_collide() -> None:
    common = "é" * 40  # 80 bytes of UTF-8
    hashed = hash_password_sync(common + "A", rounds=4)
    assert verify_password_sync(common + "A", hashed)
    assert not verify_password_sync(common + "B", hashed)
    assert not verify_password_sync(common, hashed)
    # Plain bcrypt 5 would have refused these inputs outright.
    with pytest.raises(ValueError, match="72"):
        bcrypt.hashpw((common + "A").encode(), bcrypt.gensalt(4))


def test_composed_and_decomposed_spellings_match() -> None:
    composed = "café-au-lait"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert verify_password_sync(decomposed, hash_password_sync(composed, rounds=4))


def test_malformed_input_never_raises() -> None:
    hashed = hash_password_sync("whatever1", rounds=4)
    assert not verify_password_sync("lone \ud800", hashed)
    assert not verify_password_sync("whatever1", "not-a-bcrypt-hash")


async def test_hashing_does_not_block_the_event_loop() -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    task = asyncio.create_task(ticker())
    started = time.perf_counter()
    with ThreadPoolExecutor(1) as threads:
        await Hasher(rounds=11, threads=threads).hash("some password")
    elapsed = time.perf_counter() - started
    task.cancel()
    # While bcrypt ran (tens of ms or more), the loop kept ticking.
    assert ticks >= max(1, int(elapsed / 0.005) // 4)


@pytest.mark.skipif(sys.platform != "linux", reason="a priority per thread is Linux's")
async def test_hashing_threads_run_below_the_event_loops_priority(runtime: Runtime) -> None:
    """A login storm's bcrypt checks leave the event loop a core for every other request."""

    def own_niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    async with hashing(runtime) as hasher:
        loop = asyncio.get_running_loop()
        in_hashing_thread = await loop.run_in_executor(hasher.threads, own_niceness)
    assert in_hashing_thread == min(own_niceness() + HASHING_NICENESS, 19)


async def test_authenticate(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    long_a, long_b = "x" * 100 + "A", "x" * 100 + "B"
    async with runtime.transaction() as session:
        await create_user(
            runtime=runtime, session=session, email="Eve@Example.com", password=long_a
        )
    dummy_checks: list[str] = []

    verify_dummy = Hasher.verify_dummy

    async def counting_dummy(hasher: Hasher, password: str) -> None:
        dummy_checks.append(password)
        await verify_dummy(hasher, password)

    monkeypatch.setattr(Hasher, "verify_dummy", counting_dummy)
    async with runtime.transaction() as session:
        ok = await authenticate(
            runtime=runtime, session=session, email="EVE@example.COM", password=long_a
        )
        wrong = await authenticate(
            runtime=runtime, session=session, email="eve@example.com", password=long_b
        )
        surrogate = await authenticate(
            runtime=runtime, session=session, email="eve@example.com", password="\ud800"
        )
        unknown = await authenticate(
            runtime=runtime, session=session, email="nobody@example.com", password=long_a
        )
    assert ok is not None
    assert ok.email == "eve@example.com"
    assert (wrong, surrogate, unknown) == (None, None, None)
    assert dummy_checks == [long_a]  # only the unknown email spent the dummy check


async def test_authenticate_refuses_inactive_users(runtime: Runtime) -> None:
    async with runtime.transaction() as session:
        user = await create_user(
            runtime=runtime, session=session, email="i@example.com", password=PASSWORD
        )
        user.is_active = False
    async with runtime.transaction() as session:
        result = await authenticate(
            runtime=runtime, session=session, email="i@example.com", password=PASSWORD
        )
    assert result is None


async def test_authenticate_upgrades_an_outdated_cost(runtime: Runtime) -> None:
    async with runtime.transaction() as session:
        user = await create_user(
            runtime=runtime, session=session, email="o@example.com", password=PASSWORD
        )
        user.hashed_password = hash_password_sync(PASSWORD, rounds=5)
    async with runtime.transaction() as session:
        assert await authenticate(
            runtime=runtime, session=session, email="o@example.com", password=PASSWORD
        )
    async with runtime.sessions() as session:
        row = await service_module.find_by_email(session=session, email="o@example.com")
    assert row is not None
    assert row.hashed_password.startswith("$2b$04$")


async def test_set_password_and_policy(runtime: Runtime) -> None:
    assert password_policy(runtime) == (8, 128)
    async with runtime.transaction() as session:
        user = await create_user(
            runtime=runtime, session=session, email="s@example.com", password=PASSWORD
        )
    async with runtime.transaction() as session:
        with pytest.raises(PasswordRejected) as rejected:
            await set_password(
                runtime=runtime, session=session, user_id=user.id, new_password="short"
            )
        with pytest.raises(UserNotFound):
            await set_password(
                runtime=runtime,
                session=session,
                user_id=UUID(int=1),
                new_password=PASSWORD,
            )
        await set_password(
            runtime=runtime, session=session, user_id=user.id, new_password="brand new pw"
        )
    assert rejected.value.field == "new_password"
    async with runtime.transaction() as session:
        assert await authenticate(
            runtime=runtime, session=session, email="s@example.com", password="brand new pw"
        )
        account = await get_user_by_email(session=session, email="S@EXAMPLE.COM")
    assert account is not None
    assert account.updated_at >= account.created_at
    assert account.updated_at.utcoffset() is not None


@pytest.mark.parametrize("email", ["nul\x00@example.com", "lone\ud800@example.com", "", "x" * 5000])
async def test_lookups_with_hostile_emails_find_nobody(runtime: Runtime, email: str) -> None:
    async with runtime.transaction() as session:
        assert await get_user_by_email(session=session, email=email) is None
        found = await authenticate(runtime=runtime, session=session, email=email, password="pw")
    assert found is None
