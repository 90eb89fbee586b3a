"""Schemathesis hooks of the fuzz run: every request is signed in, as a user or as a superuser.

Loaded by Schemathesis (`SCHEMATHESIS_HOOKS`), not by pytest. `TRELLIS_FUZZ_IDENTITY` says
who. Accounts sign up through the API; a superuser is one that a root account promoted, and
the root is created the way an operator does it, `trellis users create-superuser` on the
server's own settings (this process inherits its environment). The fuzzed superuser may well
demote or delete the root: then the next promotion makes a new one.

After a 401, Schemathesis asks for a token again and replays the request. The token it had is
kept while it still works as the identity (most 401s answer requests sent without it on
purpose); otherwise a new account signs in (the fuzzer logged the old one out, changed its
password, demoted or deleted it).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from typing import Any

import httpx
import schemathesis

IDENTITY = os.environ.get("TRELLIS_FUZZ_IDENTITY", "user")
PASSWORD = "correct horse battery staple"  # test accounts'


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _sign_up(client: httpx.Client) -> tuple[str, str]:
    """(id, e-mail) of a new account with PASSWORD."""
    email = f"fuzz-{secrets.token_hex(6)}@example.com"
    created = client.post("/api/v1/users", json={"email": email, "password": PASSWORD})
    created.raise_for_status()
    return created.json()["id"], email


def _sign_in(client: httpx.Client, email: str) -> str:
    signed_in = client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    signed_in.raise_for_status()
    token: str = signed_in.json()["access_token"]
    return token


class Root:
    """The account that promotes superusers; outside the fuzzed identity's own requests."""

    token: str | None = None

    @classmethod
    def promote(cls, client: httpx.Client, user_id: str) -> None:
        for _ in range(2):
            if cls.token is None:
                cls.token = cls._create(client)
            promoted = client.patch(
                f"/api/v1/users/{user_id}", json={"is_superuser": True}, headers=_bearer(cls.token)
            )
            if promoted.status_code == 200:
                return
            cls.token = None  # demoted, deactivated or deleted by the fuzzer: a new root
        promoted.raise_for_status()

    @staticmethod
    def _create(client: httpx.Client) -> str:
        email = f"root-{secrets.token_hex(6)}@example.com"
        command = [sys.executable, "-m", "core.cli", "users", "create-superuser"]
        command += ["--email", email, "--password", PASSWORD]
        done = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
            command, capture_output=True, text=True, timeout=60, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"trellis users create-superuser failed: {done.stderr[-3000:]}")
        return _sign_in(client, email)


def _works(client: httpx.Client, token: str) -> bool:
    """Whether `token` still signs in the identity (a superuser still is one)."""
    me = client.get("/api/v1/users/me", headers=_bearer(token))
    return me.status_code == 200 and (IDENTITY != "superuser" or me.json()["is_superuser"])


@schemathesis.auth()
class SignedIn:
    """A bearer token of the identity; Schemathesis caches it until a request gets a 401."""

    token: str | None = None

    def get(self, case: Any, ctx: Any) -> str:
        with httpx.Client(base_url=ctx.operation.base_url, timeout=10) as client:
            if self.token is None or not _works(client, self.token):
                user_id, email = _sign_up(client)
                if IDENTITY == "superuser":
                    Root.promote(client, user_id)
                self.token = _sign_in(client, email)
            return self.token

    def set(self, case: Any, data: str, ctx: Any) -> None:
        case.headers = case.headers or {}
        case.headers.update(_bearer(data))
