"""Log in, rotate refresh tokens, log out, and turn an access token into a principal."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from domain.auth import IssuedAccessToken, RefreshToken
from domain.errors import InvalidAccessToken, InvalidCredentials, InvalidRefreshToken, RateLimited
from domain.ports import UnitOfWork
from domain.usecases.services import Services
from domain.users import Principal, User, normalize_email

# Verified against when the email is unknown, so both paths cost the same (no user enumeration).
_DUMMY_PASSWORD = "not-a-real-password"


@dataclass(frozen=True, slots=True)
class SessionTokens:
    user: User
    access: IssuedAccessToken
    refresh_token: str
    refresh_expires_at: datetime


async def login(services: Services, email: str, password: str, *, client: str) -> SessionTokens:
    email = normalize_email(email)
    rules = services.auth_rules
    for key in (f"login:email:{email}", f"login:client:{client}"):
        retry_after = await services.rate_limiter.hit(
            key, limit=rules.login_attempts_per_minute, window_seconds=60
        )
        if retry_after is not None:
            raise RateLimited(retry_after)
    if len(password) > 1024:  # argon2 of megabytes is a denial of service, not a password
        raise InvalidCredentials()
    async with services.uow() as uow:
        # An email with control characters or lone surrogates is nobody's (and the database
        # would refuse it): treat it as unknown rather than fail.
        user = await uow.users.get_by_email(email) if email.isprintable() else None
        if user is None or not user.active:
            services.passwords.verify(_dummy_hash(services), password)
            raise InvalidCredentials()
        if not services.passwords.verify(user.password_hash, password):
            raise InvalidCredentials()
        tokens = await _start_family(services, uow, user, family_id=str(uuid.uuid4()))
        await uow.commit()
    return tokens


async def refresh_session(services: Services, refresh_token: str) -> SessionTokens:
    now = services.clock.now()
    token_hash = services.hash_refresh_token(refresh_token)
    async with services.uow() as uow:
        stored = await uow.refresh_tokens.get_by_hash(token_hash)
        if stored is None:
            raise InvalidRefreshToken()
        if stored.used_at is not None or stored.revoked_at is not None:
            # A rotated token came back: someone holds a copy. Kill the whole family.
            await uow.refresh_tokens.revoke_family(stored.family_id, now)
            await uow.commit()
            raise InvalidRefreshToken()
        if now >= stored.expires_at or not await uow.refresh_tokens.mark_used(stored, now):
            raise InvalidRefreshToken()
        user = await uow.users.get(stored.user_id)
        if user is None or not user.active:
            raise InvalidRefreshToken()
        tokens = await _start_family(services, uow, user, family_id=stored.family_id)
        await uow.commit()
    return tokens


async def logout(services: Services, refresh_token: str) -> None:
    now = services.clock.now()
    async with services.uow() as uow:
        stored = await uow.refresh_tokens.get_by_hash(services.hash_refresh_token(refresh_token))
        if stored is None or stored.revoked_at is not None:
            raise InvalidRefreshToken()
        await uow.refresh_tokens.revoke_family(stored.family_id, now)
        await uow.commit()


async def authenticate(services: Services, access_token: str) -> Principal:
    """A verified principal, or InvalidAccessToken. Checks the session is still alive, so that
    logout takes effect at once on every instance."""
    claims = services.access_tokens.verify(access_token)
    async with services.uow() as uow:
        if not await uow.refresh_tokens.family_active(claims.session_id):
            raise InvalidAccessToken("session ended")
    return Principal(user_id=claims.user_id, role=claims.role, session_id=claims.session_id)


async def _start_family(
    services: Services, work: UnitOfWork, user: User, *, family_id: str
) -> SessionTokens:
    now = services.clock.now()
    token, token_hash = services.new_refresh_token()
    expires = now + services.auth_rules.refresh_token_ttl
    await work.refresh_tokens.add(
        RefreshToken(
            id=str(uuid.uuid4()),
            family_id=family_id,
            user_id=user.id,
            token_hash=token_hash,
            created_at=now,
            expires_at=expires,
        )
    )
    access = services.access_tokens.issue(user_id=user.id, role=user.role, session_id=family_id)
    return SessionTokens(user=user, access=access, refresh_token=token, refresh_expires_at=expires)


_dummy: dict[int, str] = {}


def _dummy_hash(services: Services) -> str:
    key = id(services.passwords)
    if key not in _dummy:
        _dummy[key] = services.passwords.hash(_DUMMY_PASSWORD)
    return _dummy[key]


@dataclass(frozen=True, slots=True)
class AuthenticatedSession:
    principal: Principal
    expires_at: datetime  # of the access token


async def authenticate_session(services: Services, access_token: str) -> AuthenticatedSession:
    """Like `authenticate`, also telling when the access token expires (long-lived
    connections close then)."""
    claims = services.access_tokens.verify(access_token)
    async with services.uow() as uow:
        if not await uow.refresh_tokens.family_active(claims.session_id):
            raise InvalidAccessToken("session ended")
    principal = Principal(user_id=claims.user_id, role=claims.role, session_id=claims.session_id)
    return AuthenticatedSession(principal=principal, expires_at=claims.expires_at)


async def session_active(services: Services, principal: Principal) -> bool:
    """False once the session was logged out (its refresh-token family revoked)."""
    async with services.uow() as uow:
        return await uow.refresh_tokens.family_active(principal.session_id)
