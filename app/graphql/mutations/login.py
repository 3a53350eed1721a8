from __future__ import annotations

from datetime import datetime

import strawberry

from app.graphql.context import Info
from app.graphql.fields import mutation
from app.graphql.mutations._run import run_then
from app.graphql.types.errors import InvalidCredentials, RateLimited, ValidationFailed
from app.graphql.types.objects import User
from domain.usecases import sessions


@strawberry.input(description="Credentials.")
class LoginInput:
    email: str = strawberry.field(description="The account's email.")
    password: str = strawberry.field(description="The account's password.")


@strawberry.type(description="Tokens of a new or refreshed session.")
class AuthSession:
    access_token: str = strawberry.field(description="Send as `Authorization: Bearer <token>`.")
    refresh_token: str = strawberry.field(description="Single use: trade it for new tokens.")
    access_token_expires_at: datetime = strawberry.field(description="When to refresh.")
    user: User = strawberry.field(description="Who is logged in.")

    @classmethod
    def from_tokens(cls, tokens: sessions.SessionTokens) -> AuthSession:
        return cls(
            access_token=tokens.access.token,
            refresh_token=tokens.refresh_token,
            access_token_expires_at=tokens.access.expires_at,
            user=User.from_domain(tokens.user, is_self=True),
        )


LoginResult = AuthSession | InvalidCredentials | RateLimited | ValidationFailed


@mutation(description="Log in with email and password.")
async def login(info: Info, input: LoginInput) -> LoginResult:
    ctx = info.context
    return await run_then(  # type: ignore[return-value]
        lambda: sessions.login(ctx.services, input.email, input.password, client=ctx.client),
        AuthSession.from_tokens,
    )
