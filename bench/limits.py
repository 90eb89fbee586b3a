"""Limit apps: the least each Trellis scenario could cost with the same libraries.

Served by uvicorn with the same loop, HTTP parser, backlog and worker count as `trellis serve`
(`python -m bench.limit_server hello`), each beside the Trellis endpoint it bounds:

- `hello`: a bare FastAPI route returning a small JSON object, beside `GET /health`;
- `jwt_verify`: PyJWT's verification of the bench user's access token, as the auth module
  configures it (algorithm, audience, issuer, leeway), beside `GET /api/v1/users/me`;
- `orm_read`: that verification plus one SQLModel `session.get` of the user row inside its
  transaction, serialised as `UserPublic`: what `/users/me` costs as designed today.

The login scenario's limit is `bcrypt_ceiling`: checks per second of the configured rounds
with as many threads as cores, in process. Configuration comes from the environment:
LIMIT_SECRET (the signing key), LIMIT_DATABASE_URL (async SQLAlchemy URL).
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Annotated, Any
from uuid import UUID

import bcrypt
import jwt
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from modules.auth.config import AuthConfig
from modules.auth.tokens import REQUIRED_CLAIMS
from modules.users.models import User
from modules.users.schemas import UserPublic

_bearer = HTTPBearer()
_config = AuthConfig()


async def _verified(
    credentials: Annotated[HTTPAuthorizationCredentials, Depends(_bearer)],
) -> dict[str, Any]:
    """The token's claims, checked as the auth module checks them; 401 otherwise."""
    try:
        decoded: dict[str, Any] = jwt.decode(
            credentials.credentials,
            os.environ["LIMIT_SECRET"],
            algorithms=[_config.algorithm],
            audience=_config.audience,
            issuer=_config.issuer,
            leeway=_config.leeway_seconds,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.PyJWTError:
        raise HTTPException(401) from None
    return decoded


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, as Trellis's session dependency opens it."""
    async with request.app.state.sessions() as opened, opened.begin():
        yield opened


Claims = Annotated[dict[str, Any], Depends(_verified)]
Session = Annotated[AsyncSession, Depends(_session)]


def hello() -> FastAPI:
    app = FastAPI()

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def jwt_verify() -> FastAPI:
    app = FastAPI()

    @app.get("/me")
    async def me(claims: Claims) -> dict[str, str]:
        return {"id": str(claims["sub"])}

    return app


def orm_read() -> FastAPI:
    engine = create_async_engine(os.environ["LIMIT_DATABASE_URL"], pool_size=20, max_overflow=0)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)
    app.state.sessions = async_sessionmaker(engine, expire_on_commit=False)

    @app.get("/me")
    async def me(claims: Claims, session: Session) -> UserPublic:
        user = await session.get(User, UUID(str(claims["sub"])))
        if user is None:
            raise HTTPException(404)
        return UserPublic.model_validate(user)

    return app


def bcrypt_ceiling(rounds: int, *, seconds: float = 3.0) -> float:
    """bcrypt checks per second at `rounds`, one thread per core (bcrypt releases the GIL)."""
    password = secrets.token_bytes(32)
    hashed = bcrypt.hashpw(password, bcrypt.gensalt(rounds))
    threads = os.cpu_count() or 1
    deadline = time.monotonic() + seconds

    def work() -> int:
        done = 0
        while time.monotonic() < deadline:
            bcrypt.checkpw(password, hashed)
            done += 1
        return done

    started = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        total = sum(pool.map(lambda _: work(), range(threads)))
    return total / (time.monotonic() - started)
