"""Access tokens the resolver must refuse: expired, forged, mis-addressed, of the wrong kind."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from core.settings import Settings
from core.testing import TEST_SECRET

from .support import (
    app_and_client,
    bearer,
    claims_of,
    me_status,
    now,
    resign,
    signed_up,
    unsigned,
    write_ed25519_pair,
    write_rsa_pair,
)


@pytest.fixture
async def access(client: httpx.AsyncClient) -> str:
    pair = await signed_up(client, "ann@example.com")
    token: str = pair["access_token"]
    return token


async def test_a_resigned_copy_is_accepted(client: httpx.AsyncClient, access: str) -> None:
    """Guards the tests below: each changes only what it names."""
    assert await me_status(client, resign(access)) == 200


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"exp": -60}, id="expired-beyond-leeway"),
        pytest.param({"nbf": 3600}, id="not-yet-valid"),
        pytest.param({"iat": 3600}, id="issued-in-the-future"),
        pytest.param({"aud": "someone-else"}, id="wrong-audience"),
        pytest.param({"iss": "someone-else"}, id="wrong-issuer"),
        pytest.param({"type": "refresh"}, id="refresh-type"),
        pytest.param({"type": None}, id="no-type"),
        pytest.param({"sid": "not-a-uuid"}, id="bad-session-id"),
        pytest.param({"sub": "00000000-0000-0000-0000-000000000000"}, id="other-subject"),
    ],
)
async def test_wrong_claims_are_refused(
    client: httpx.AsyncClient, access: str, changes: dict[str, Any]
) -> None:
    relative = {"exp", "nbf", "iat"}
    values = {k: now() + v if k in relative else v for k, v in changes.items()}
    response = await client.get("/api/v1/users/me", headers=bearer(resign(access, **values)))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_expiry_within_the_leeway_is_tolerated(
    client: httpx.AsyncClient, access: str
) -> None:
    assert await me_status(client, resign(access, exp=now() - 3)) == 200


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf", "sub", "aud", "iss", "jti"])
async def test_missing_required_claims_are_refused(
    client: httpx.AsyncClient, access: str, claim: str
) -> None:
    assert await me_status(client, resign(access, drop=(claim,))) == 401


async def test_a_tampered_signature_or_payload_is_refused(
    client: httpx.AsyncClient, access: str
) -> None:
    header, payload, signature = access.split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    assert await me_status(client, f"{header}.{payload}.{flipped}") == 401
    other = resign(access, sub="00000000-0000-0000-0000-000000000001").split(".")[1]
    assert await me_status(client, f"{header}.{other}.{signature}") == 401
    assert await me_status(client, resign(access, key="another-secret-" + "x" * 40)) == 401


async def test_alg_none_is_refused(client: httpx.AsyncClient, access: str) -> None:
    claims = claims_of(access)
    for alg in ("none", "None", "NONE"):
        token = unsigned({"alg": alg, "typ": "JWT"}, claims)
        assert await me_status(client, token) == 401


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
async def test_another_algorithm_with_the_right_secret_is_refused(
    client: httpx.AsyncClient, access: str
) -> None:
    assert await me_status(client, resign(access, algorithm="HS512")) == 401


async def test_an_rs256_token_is_refused_by_an_hs256_server(
    client: httpx.AsyncClient, access: str
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert await me_status(client, resign(access, key=key, algorithm="RS256")) == 401


async def test_garbage_is_refused(client: httpx.AsyncClient) -> None:
    for token in ("x", "a.b.c", "....", "eyJhbGciOiJIUzI1NiJ9.e30.", "%00%ff"):
        assert await me_status(client, token) == 401
    latin = {"Authorization": ("Bearer " + "\u00e9" * 10).encode("latin-1")}
    assert (await client.get("/api/v1/users/me", headers=latin)).status_code == 401


async def test_rs256_signs_and_refuses_hs256_key_confusion(
    settings: Settings, tmp_path: Path
) -> None:
    private, public = write_rsa_pair(tmp_path)
    auth = {"algorithm": "RS256", "private_key_file": private, "public_key_file": public}
    async with app_and_client(settings, auth) as (_app, client):
        pair = await signed_up(client, "ann@example.com")
        access = pair["access_token"]
        assert jwt.get_unverified_header(access)["alg"] == "RS256"
        assert await me_status(client, access) == 200
        # The classic confusion: HMAC over the token with the *public* key as the secret.
        claims = claims_of(access)
        header = {"alg": "HS256", "typ": "JWT"}
        signing_input = unsigned(header, claims).rsplit(".", 1)[0]
        mac = hmac.new(public.read_bytes(), signing_input.encode(), hashlib.sha256).digest()
        assert await me_status(client, unsigned(header, claims, mac)) == 401
        # And a token signed with the shared secret is no good either.
        assert await me_status(client, resign(access, key=TEST_SECRET)) == 401


async def test_eddsa_signs_and_verifies(settings: Settings, tmp_path: Path) -> None:
    private, public = write_ed25519_pair(tmp_path)
    auth = {"algorithm": "EdDSA", "private_key_file": private, "public_key_file": public}
    async with app_and_client(settings, auth) as (_app, client):
        pair = await signed_up(client, "ann@example.com")
        assert jwt.get_unverified_header(pair["access_token"])["alg"] == "EdDSA"
        assert await me_status(client, pair["access_token"]) == 200
        assert await me_status(client, resign(pair["access_token"], key=TEST_SECRET)) == 401
