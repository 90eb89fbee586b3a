"""Token endpoints (OAuth2 password grant, refresh, logout) and the caller's sessions."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status

from core import CurrentPrincipal, RuntimeDep, SessionDep
from modules.auth import service, sessions
from modules.auth.dependencies import ClientDep, PasswordForm
from modules.auth.exceptions import InvalidRefreshToken, SessionNotFound, as_response
from modules.auth.metrics import login_outcome
from modules.auth.schemas import RefreshRequest, SessionPublic, SessionsPublic, TokenPair

router = APIRouter(prefix="/auth", tags=["auth"])

TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 (a URL, not a secret)
# RFC 6749 §5.1: responses carrying tokens must not be cached.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@router.post(
    "/token",
    response_model=TokenPair,
    responses={
        401: {"description": "Invalid credentials"},
        403: {"description": "E-mail not verified (`require_verified_login`)"},
        429: {},
    },
)
async def token(
    form: PasswordForm,
    client: ClientDep,
    runtime: RuntimeDep,
    session: SessionDep,
    response: Response,
) -> TokenPair:
    """OAuth2 password grant; `username` is the e-mail address."""
    response.headers.update(NO_STORE)
    with login_outcome():
        return await service.login(
            runtime=runtime,
            session=session,
            email=form.username,
            password=form.password,
            ip=client.ip,
            user_agent=client.user_agent,
        )


@router.post(
    "/refresh",
    response_model=TokenPair,
    responses={
        401: {"description": "Invalid refresh token"},
        403: {"description": "E-mail not verified (`require_verified_login`)"},
    },
)
async def refresh(
    body: RefreshRequest, runtime: RuntimeDep, session: SessionDep, response: Response
) -> TokenPair | Response:
    """Exchange a refresh token for a new pair; the old one is retired."""
    pair = await service.refresh(runtime=runtime, session=session, refresh_token=body.refresh_token)
    if pair is None:
        # Returned, not raised: raising would roll back the family revocation a reuse causes.
        return as_response(InvalidRefreshToken())
    response.headers.update(NO_STORE)
    return pair


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(principal: CurrentPrincipal, runtime: RuntimeDep, session: SessionDep) -> None:
    """Revoke this session and its access token."""
    await service.logout(runtime=runtime, session=session, principal=principal)


@router.get("/sessions", response_model=SessionsPublic)
async def list_sessions(principal: CurrentPrincipal, session: SessionDep) -> SessionsPublic:
    """The caller's active sessions; `current` marks the one making this request."""
    rows = await sessions.active_sessions(session=session, user_id=principal.id)
    items = [
        SessionPublic.model_validate(row).model_copy(
            update={"current": row.id == principal.session_id}
        )
        for row in rows
    ]
    return SessionsPublic(items=items)


@router.delete(
    "/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {"description": "No such active session of the caller"}},
)
async def delete_session(
    session_id: UUID, principal: CurrentPrincipal, runtime: RuntimeDep, session: SessionDep
) -> None:
    """Revoke one of the caller's sessions (sign out that device)."""
    revoked = await sessions.revoke_session(
        runtime=runtime, session=session, session_id=session_id, user_id=principal.id
    )
    if not revoked:
        raise SessionNotFound()
