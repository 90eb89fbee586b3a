""".env.example documents every environment variable Trellis and compose.yaml read."""

from __future__ import annotations

import importlib
import re

from pydantic_settings import BaseSettings

from tests.deploy.files import ROOT

# Read by the operations work of issue 15 (metrics, proxies, shutdown) and by the image.
OPERATIONS = {
    "METRICS_ENABLED",
    "METRICS_TOKEN",
    "TRUSTED_PROXIES",
    "SHUTDOWN_TIMEOUT",
    "WEB_CONCURRENCY",
    "PROMETHEUS_MULTIPROC_DIR",
}


def documented() -> set[str]:
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def settings_classes() -> list[type[BaseSettings]]:
    """Every BaseSettings subclass in core/ and modules/, found in the source."""
    found = []
    for path in sorted([*ROOT.glob("core/**/*.py"), *ROOT.glob("modules/**/*.py")]):
        names = re.findall(r"^class (\w+)\(BaseSettings\)", path.read_text(), re.MULTILINE)
        if names:
            module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
            found += [getattr(module, name) for name in names]
    return found


def environment_names(model: type[BaseSettings]) -> set[str]:
    prefix = str(model.model_config.get("env_prefix", ""))
    return {
        alias if isinstance(alias := field.validation_alias, str) else (prefix + name).upper()
        for name, field in model.model_fields.items()
    }


def test_settings_are_found() -> None:
    names = {model.__name__ for model in settings_classes()}
    assert {"Settings", "MailSettings", "BootstrapSettings"} <= names


def test_every_setting_is_documented() -> None:
    read = set().union(*(environment_names(model) for model in settings_classes()))
    assert read - documented() == set()


def test_operations_and_compose_variables_are_documented() -> None:
    compose = (ROOT / "compose.yaml").read_text()
    interpolated = set(re.findall(r"\$\{(\w+)", compose))
    assert (OPERATIONS | interpolated) - documented() == set()


def test_no_secret_has_a_value() -> None:
    """Every secret is commented out: an empty SECRET_KEY would be used as the key."""
    text = (ROOT / ".env.example").read_text()
    for name in ("SECRET_KEY", "POSTGRES_PASSWORD", "METRICS_TOKEN", "SMTP_PASSWORD"):
        assert not re.search(rf"^{name}=", text, re.MULTILINE), name
