"""Signing and verification keys: the core secret for HS*, PEM key files for RS256/EdDSA."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed448, ed25519, rsa

# The algorithms that sign with PEM key files rather than the core's SECRET_KEY.
ASYMMETRIC: frozenset[str] = frozenset({"RS256", "EdDSA"})
MIN_RSA_BITS = 2048


@dataclass(frozen=True)
class KeyPair:
    """What PyJWT signs with and verifies with; parsed once, as PEM parsing is slow."""

    signing: Any
    verifying: Any


class KeySettings(Protocol):
    """What keys read of the auth settings; `AuthConfig` checks its key files through here.

    A protocol rather than `AuthConfig`, so this module need not import config.py (a cycle).
    """

    @property
    def algorithm(self) -> str: ...
    @property
    def private_key_file(self) -> Path | None: ...
    @property
    def public_key_file(self) -> Path | None: ...


def keys_for(config: KeySettings, secret_key: str) -> KeyPair:
    """The keys for the configured algorithm."""
    if config.algorithm in ASYMMETRIC:
        return load_key_pair(config)
    return KeyPair(signing=secret_key, verifying=secret_key)


def load_key_pair(config: KeySettings) -> KeyPair:
    """Read and check the PEM files; raises ValueError naming the problem."""
    private_file, public_file = config.private_key_file, config.public_key_file
    if private_file is None or public_file is None:
        raise ValueError(f"{config.algorithm} needs private_key_file and public_key_file")
    return _load(config.algorithm, private_file, public_file)


@lru_cache(maxsize=8)
def _load(algorithm: str, private_file: Path, public_file: Path) -> KeyPair:
    try:
        private = serialization.load_pem_private_key(private_file.read_bytes(), password=None)
        public = serialization.load_pem_public_key(public_file.read_bytes())
    except OSError as error:
        raise ValueError(f"cannot read key file: {error.strerror}: {error.filename}") from None
    except (ValueError, TypeError) as error:
        raise ValueError(f"key file is not an unencrypted PEM key: {error}") from None
    if algorithm == "RS256":
        if not isinstance(private, rsa.RSAPrivateKey) or not isinstance(public, rsa.RSAPublicKey):
            raise ValueError("RS256 needs an RSA key pair")
        if private.key_size < MIN_RSA_BITS:
            raise ValueError(f"RS256 needs an RSA key of at least {MIN_RSA_BITS} bits")
    elif not isinstance(
        private, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey
    ) or not isinstance(public, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        raise ValueError("EdDSA needs an Ed25519 or Ed448 key pair")
    if _spki(private.public_key()) != _spki(public):
        raise ValueError("public_key_file does not match private_key_file")
    return KeyPair(signing=private, verifying=public)


def _spki(key: Any) -> bytes:
    encoded: bytes = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return encoded
