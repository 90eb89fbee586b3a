"""Password hashing: bcrypt over an HMAC-SHA256 pre-hash, always off the event loop.

bcrypt reads at most 72 bytes (bcrypt 5 raises beyond that), so the password is first reduced to
base64(HMAC-SHA256(key, password)): 44 ASCII bytes, no NUL, every input byte counts.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import unicodedata
from functools import lru_cache

import bcrypt

from core import Runtime
from modules.users.config import UsersConfig
from modules.users.exceptions import PasswordRejected
from modules.users.schemas import has_unstorable

# A fixed domain-separation key, not a secret. Keying with SECRET_KEY would lock every user out
# when the key is rotated; a constant still keeps these digests unrelated to the plain SHA-256
# hashes of leaked password lists, which could otherwise be matched against ours.
_PREHASH_KEY = b"trellis.modules.users.password.v1"


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


async def hash_password(password: str, *, rounds: int) -> str:
    return await asyncio.to_thread(hash_password_sync, password, rounds=rounds)


async def verify_password(password: str, hashed: str) -> bool:
    return await asyncio.to_thread(verify_password_sync, password, hashed)


@lru_cache(maxsize=16)
def _dummy_hash(rounds: int) -> str:
    return hash_password_sync("trellis-dummy-password", rounds=rounds)


async def verify_dummy(password: str, *, rounds: int) -> None:
    """Spend one bcrypt check for an unknown email, so timing does not reveal who exists."""
    dummy = await asyncio.to_thread(_dummy_hash, rounds)
    await verify_password(password, dummy)


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
