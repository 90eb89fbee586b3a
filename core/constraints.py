"""Validation rules the OpenAPI document states, taken from what the validation itself reads.

Two kinds the models alone cannot say:

- limits each deployment configures: a field declares them with `FromSettings`, naming the
  module setting its validation reads, and every app's document carries that app's values
  (a password's length range, as its `[modules.<name>]` table sets it);
- what pydantic's `EmailStr` refuses beyond the `email` format: email-validator's special-use
  domains (`x@host.test` is a well-formed address, and a 422).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from email_validator import SPECIAL_USE_DOMAIN_NAMES
from pydantic import BaseModel, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

__all__ = ["EMAIL_PATTERN", "FromSettings", "describe_constraints"]

# Where a field's schema holds its FromSettings until the app's document fills it in.
_MARKER = "x-trellis-from-settings"


class FromSettings:
    """JSON Schema keywords whose values are a module's settings, for `Annotated` metadata.

    `Annotated[str, FromSettings(NotesConfig, maxLength="max_title_length")]`: the document
    of each app says `maxLength: 80` where its `[modules.notes]` sets 80. It only documents;
    the validation reads the same setting. A setting the model lacks is an error at import.
    """

    __slots__ = ("keywords", "settings")

    def __init__(self, settings: type[BaseModel], /, **keywords: str) -> None:
        unknown = sorted(set(keywords.values()) - set(settings.model_fields))
        if unknown:
            raise ValueError(f"{settings.__name__} has no setting {', '.join(unknown)}")
        self.settings = settings
        self.keywords = tuple(sorted(keywords.items()))

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema[_MARKER] = {"settings": _qualified(self.settings), "keywords": dict(self.keywords)}
        return schema


def _any_case(word: str) -> str:
    """`test` -> `[tT][eE][sS][tT]`: JSON Schema patterns (ECMA-262) have no inline flags."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


# No address whose domain is, or ends in, a special-use name; pydantic strips outer spaces.
EMAIL_PATTERN = (
    r"^(?!.*@(?:.*\.)?(?:"
    + "|".join(_any_case(name) for name in SPECIAL_USE_DOMAIN_NAMES)
    + r")\s*$)"
)


def describe_constraints(
    schema: dict[str, Any], module_settings: Mapping[type[BaseModel], BaseModel]
) -> dict[str, Any]:
    """Fill in `FromSettings` keywords and the e-mail rule, in place; returns `schema`."""
    settings = {_qualified(model): value for model, value in module_settings.items()}
    for node in _objects(schema):
        marker = node.pop(_MARKER, None)
        if isinstance(marker, dict) and marker["settings"] in settings:
            values = settings[marker["settings"]]
            node.update({key: getattr(values, name) for key, name in marker["keywords"].items()})
        if node.get("format") == "email" and node.get("type") == "string":
            node.setdefault("pattern", EMAIL_PATTERN)
    return schema


def _qualified(model: type[BaseModel]) -> str:
    return f"{model.__module__}.{model.__qualname__}"


def _objects(value: object) -> Iterator[dict[str, Any]]:
    """Every JSON object in the document, depth first."""
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            yield current
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
