"""Authentication adapters: argon2 password hashing and JWT access tokens."""

from __future__ import annotations

from adapters.auth.tokens import JwtAccessTokenService
from app.settings import Settings, reveal
from domain.ports import Clock


def access_tokens(settings: Settings, clock: Clock) -> JwtAccessTokenService:
    return JwtAccessTokenService(
        secret=reveal(settings.jwt_secret) or "",
        key_id=settings.jwt_key_id,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl_seconds=settings.access_token_ttl_seconds,
        clock=clock,
    )
