"""Endpoints: forgotten password and reset, e-mail verification and its requests."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from core import CurrentPrincipal, RuntimeDep, SessionDep
from modules.auth.account_email import service
from modules.auth.account_email.limits import count_mail_request
from modules.auth.account_email.schemas import (
    Accepted,
    EmailRequest,
    PasswordReset,
    Verification,
)
from modules.auth.dependencies import ClientDep

router = APIRouter(prefix="/auth", tags=["auth"])

# Documented for generated clients; the core makes every error body problem+json.
_bad_link: dict[int | str, dict[str, Any]] = {400: {"description": "Invalid, expired or used link"}}
_limited: dict[int | str, dict[str, Any]] = {429: {"description": "Too many requests"}}
MAYBE_SENT = Accepted(detail="If an account uses this address, a message is on its way.")


@router.post(
    "/forgot-password",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses=_limited,
)
async def forgot_password(
    body: EmailRequest, client: ClientDep, runtime: RuntimeDep, session: SessionDep
) -> Accepted:
    """Mail a reset link if an active account uses this address; the answer never says."""
    await count_mail_request(runtime=runtime, email=body.email, ip=client.ip)
    await service.request_reset_link(runtime=runtime, session=session, email=body.email)
    return MAYBE_SENT


@router.post("/reset-password", status_code=status.HTTP_204_NO_CONTENT, responses=_bad_link)
async def reset_password(body: PasswordReset, runtime: RuntimeDep, session: SessionDep) -> None:
    """Choose a new password with a mailed token; every session of the account ends."""
    await service.reset_password(
        runtime=runtime, session=session, token=body.token, new_password=body.new_password
    )


@router.post(
    "/verify/request",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses={409: {"description": "Already verified"}, **_limited},
)
async def request_verification(
    principal: CurrentPrincipal, client: ClientDep, runtime: RuntimeDep, session: SessionDep
) -> Accepted:
    """Mail the signed-in user a link confirming their address."""
    await service.request_verification(
        runtime=runtime, session=session, user_id=principal.id, ip=client.ip
    )
    return Accepted(detail="A confirmation link is on its way.")


@router.post(
    "/verify/resend",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses=_limited,
)
async def resend_verification(
    body: EmailRequest, client: ClientDep, runtime: RuntimeDep, session: SessionDep
) -> Accepted:
    """Mail a new confirmation link to an unverified account, for those who cannot sign in."""
    await count_mail_request(runtime=runtime, email=body.email, ip=client.ip)
    await service.resend_verification(runtime=runtime, session=session, email=body.email)
    return MAYBE_SENT


@router.post("/verify", status_code=status.HTTP_204_NO_CONTENT, responses=_bad_link)
async def verify(body: Verification, runtime: RuntimeDep, session: SessionDep) -> None:
    """Confirm the address with a mailed token."""
    await service.verify_email(runtime=runtime, session=session, token=body.token)
