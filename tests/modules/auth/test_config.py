"""`[modules.auth]` settings: bad algorithms, keys and limits stop start-up with one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.app import create_app
from core.plugins import ConfigError
from core.settings import Settings
from core.testing import plugins

from .support import MODULES, module_settings, write_ed25519_pair, write_rsa_pair


def start(settings: Settings, **auth: Any) -> None:
    create_app(settings, plugins=plugins(MODULES, module_settings(**auth)))


def test_defaults_start(settings: Settings) -> None:
    start(settings)


@pytest.mark.parametrize(
    ("auth", "message"),
    [
        ({"algorithm": "none"}, "algorithm"),
        ({"algorithm": "RS256"}, "needs private_key_file and public_key_file"),
        ({"access_token_minutes": 0}, "access_token_minutes"),
        ({"login_rate_per_ip": "lots"}, "login_rate_per_ip"),
        ({"unknown": 1}, "unknown"),
        ({"private_key_file": "/nowhere.pem"}, "only used with RS256 or EdDSA"),
    ],
)
def test_invalid_settings_stop_start_up(
    settings: Settings, auth: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=r"\[modules\.auth\]") as caught:
        start(settings, **auth)
    assert message in str(caught.value)


def test_unreadable_key_files_stop_start_up(settings: Settings, tmp_path: Path) -> None:
    missing = tmp_path / "missing.pem"
    with pytest.raises(ConfigError, match="cannot read key file"):
        start(settings, algorithm="RS256", private_key_file=missing, public_key_file=missing)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key")
    with pytest.raises(ConfigError, match="not an unencrypted PEM key"):
        start(settings, algorithm="RS256", private_key_file=garbage, public_key_file=garbage)


def test_keys_must_suit_the_algorithm_and_each_other(settings: Settings, tmp_path: Path) -> None:
    rsa_private, rsa_public = write_rsa_pair(tmp_path, "a")
    _, other_public = write_rsa_pair(tmp_path, "b")
    ed_private, ed_public = write_ed25519_pair(tmp_path)
    with pytest.raises(ConfigError, match="does not match"):
        start(
            settings,
            algorithm="RS256",
            private_key_file=rsa_private,
            public_key_file=other_public,
        )
    with pytest.raises(ConfigError, match="RS256 needs an RSA key pair"):
        start(settings, algorithm="RS256", private_key_file=ed_private, public_key_file=ed_public)
    with pytest.raises(ConfigError, match="EdDSA needs an Ed25519 or Ed448 key pair"):
        start(settings, algorithm="EdDSA", private_key_file=rsa_private, public_key_file=rsa_public)


def test_short_rsa_keys_are_refused(settings: Settings, tmp_path: Path) -> None:
    private, public = write_rsa_pair(tmp_path, bits=1024)
    with pytest.raises(ConfigError, match="at least 2048 bits"):
        start(settings, algorithm="RS256", private_key_file=private, public_key_file=public)
