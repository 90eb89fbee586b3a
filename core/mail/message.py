"""One outgoing e-mail, and what delivers it: shared by the Mailer and its transports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Message:
    """One e-mail to one recipient; `html` is the optional alternative to `text`."""

    to: str
    subject: str
    text: str
    html: str | None = None


class Transport(Protocol):
    """Delivers one message now, raising on failure; the Mailer decides about retries."""

    async def deliver(self, message: Message) -> None: ...
