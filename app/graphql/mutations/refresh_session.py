from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.context import Info
from app.graphql.mutations._run import input_argument, result_union, run
from app.graphql.mutations.login import AuthSession
from app.graphql.types.errors import InvalidRefreshToken
from domain.usecases import sessions


@strawberry.input(description="A refresh token from login or an earlier refresh.")
class RefreshSessionInput:
    refresh_token: str = strawberry.field(description="The current refresh token.")


RefreshSessionResult = Annotated[
    AuthSession | InvalidRefreshToken,
    result_union("refreshSession"),
]


async def refresh_session(
    info: Info,
    input: Annotated[RefreshSessionInput, input_argument("refreshSession")],
) -> RefreshSessionResult:
    async def work() -> AuthSession:
        return AuthSession.from_tokens(
            await sessions.refresh_session(info.context.services, input.refresh_token)
        )

    return await run(work())  # type: ignore[return-value]


field = strawberry.mutation(
    resolver=refresh_session,
    description="Trade a refresh token for new tokens. Each refresh token works once; "
    "presenting a used one again ends the whole session.",
)
