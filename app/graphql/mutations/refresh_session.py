from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.fields import mutation
from app.graphql.mutations._run import run_then
from app.graphql.mutations.login import AuthSession
from app.graphql.types.errors import InvalidRefreshToken
from domain.usecases import sessions


@strawberry.input(description="A refresh token from login or an earlier refresh.")
class RefreshSessionInput:
    refresh_token: str = strawberry.field(description="The current refresh token.")


RefreshSessionResult = AuthSession | InvalidRefreshToken


@mutation(
    description="Trade a refresh token for new tokens. Each refresh token works once; "
    "presenting a used one again ends the whole session."
)
async def refresh_session(info: Info, input: RefreshSessionInput) -> RefreshSessionResult:
    return await run_then(  # type: ignore[return-value]
        lambda: sessions.refresh_session(info.context.services, input.refresh_token),
        AuthSession.from_tokens,
    )
