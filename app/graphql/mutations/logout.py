from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.context import Info
from app.graphql.fields import mutation
from app.graphql.mutations._run import input_argument, result_union, run_then
from app.graphql.types.errors import InvalidRefreshToken
from domain.usecases import sessions


@strawberry.input(description="The session's refresh token.")
class LogoutInput:
    refresh_token: str = strawberry.field(description="The current refresh token.")


@strawberry.type(description="The session has ended; its access tokens stop working at once.")
class LoggedOut:
    ok: bool = strawberry.field(description="Always true.")


LogoutResult = Annotated[
    LoggedOut | InvalidRefreshToken,
    result_union("logout"),
]


@mutation(description="End a session everywhere.")
async def logout(
    info: Info, input: Annotated[LogoutInput, input_argument("logout")]
) -> LogoutResult:
    return await run_then(  # type: ignore[return-value]
        lambda: sessions.logout(info.context.services, input.refresh_token),
        lambda _: LoggedOut(ok=True),
    )
