"""Mail bodies from `templates/<name>.txt` and `.html`, filled with `string.Template`.

Each module keeps the mails it sends beside its code, in its package's `templates/` folder;
the core has none (it knows no module's mail).

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
def _load(package: str, name: str, suffix: str) -> Template | None:
    resource = files(package) / "templates" / f"{name}.{suffix}"
    return Template(resource.read_text("utf-8")) if resource.is_file() else None


def render(name: str, *, package: str, **values: str) -> Rendered:
    """Both bodies of template `name` in `package`'s `templates/` folder.

    The `.txt` one must exist, the `.html` one may not.
    """
    if not _NAME.match(name):
        raise ValueError(f"invalid template name {name!r}")
    text = _load(package, name, "txt")
    if text is None:
        raise LookupError(f"no mail template {name!r}")
    markup = _load(package, name, "html")
    escaped = {key: html.escape(value) for key, value in values.items()}
    return Rendered(
        text=text.safe_substitute(values),
        html=markup.safe_substitute(escaped) if markup else None,
    )
