"""Mail bodies from `templates/<name>.txt` and `.html`, filled with `string.Template`.

Deliberately tiny: `$name` placeholders, values HTML-escaped in the HTML part, unknown
placeholders left as they are rather than failing a send.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from string import Template

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Rendered:
    text: str
    html: str | None


@cache
def _load(name: str, suffix: str) -> Template | None:
    resource = files("core.mail") / "templates" / f"{name}.{suffix}"
    return Template(resource.read_text("utf-8")) if resource.is_file() else None


def render(name: str, **values: str) -> Rendered:
    """Both bodies of template `name`; the `.txt` one must exist, the `.html` one may not."""
    if not _NAME.match(name):
        raise ValueError(f"invalid template name {name!r}")
    text = _load(name, "txt")
    if text is None:
        raise LookupError(f"no mail template {name!r}")
    markup = _load(name, "html")
    escaped = {key: html.escape(value) for key, value in values.items()}
    return Rendered(
        text=text.safe_substitute(values),
        html=markup.safe_substitute(escaped) if markup else None,
    )
