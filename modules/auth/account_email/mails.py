"""The messages this package sends: links whose token travels as the `token=` parameter,
and the notice of a password change, which carries no link at all.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from core import Mailer, Message, render

# Every mail's templates are in this package's `templates/` folder.
TEMPLATES = "modules.auth.account_email"
RESET_PATH = "/reset-password"
VERIFY_PATH = "/verify-email"


def _duration(ttl: timedelta) -> str:
    minutes = int(ttl.total_seconds()) // 60
    if minutes % (24 * 60) == 0:
        amount, unit = minutes // (24 * 60), "day"
    elif minutes % 60 == 0:
        amount, unit = minutes // 60, "hour"
    else:
        amount, unit = minutes, "minute"
    return f"{amount} {unit}{'' if amount == 1 else 's'}"


def _message(
    mailer: Mailer, *, template: str, subject: str, path: str, to: str, token: str, ttl: timedelta
) -> Message:
    body = render(
        template,
        package=TEMPLATES,
        project=mailer.project,
        link=mailer.link(path, token=token),
        valid_for=_duration(ttl),
    )
    return Message(to=to, subject=subject, text=body.text, html=body.html)


def reset_password_mail(mailer: Mailer, *, to: str, token: str, ttl: timedelta) -> Message:
    return _message(
        mailer,
        template="reset_password",
        subject=f"Reset your {mailer.project} password",
        path=RESET_PATH,
        to=to,
        token=token,
        ttl=ttl,
    )


def verify_email_mail(mailer: Mailer, *, to: str, token: str, ttl: timedelta) -> Message:
    return _message(
        mailer,
        template="verify_email",
        subject=f"Confirm your e-mail address for {mailer.project}",
        path=VERIFY_PATH,
        to=to,
        token=token,
        ttl=ttl,
    )


def password_changed_mail(mailer: Mailer, *, to: str, changed_at: datetime) -> Message:
    """Tells the owner their password changed, so a change they did not make does not go unseen."""
    body = render(
        "password_changed",
        package=TEMPLATES,
        project=mailer.project,
        email=to,
        changed_at=f"{changed_at:%Y-%m-%d %H:%M} UTC",
    )
    return Message(
        to=to,
        subject=f"Your {mailer.project} password was changed",
        text=body.text,
        html=body.html,
    )
