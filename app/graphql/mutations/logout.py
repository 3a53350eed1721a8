from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.fields import mutation
from app.graphql.mutations._run import run_then
from app.graphql.types.errors import InvalidRefreshToken
from domain.usecases import sessions


@strawberry.input(description="The session's refresh token.")
class LogoutInput:
    refresh_token: str = strawberry.field(description="The current refresh token.")


@strawberry.type(description="The session has ended; its access tokens stop working at once.")
class LoggedOut:
    ok: bool = strawberry.field(description="Always true.")


LogoutResult = LoggedOut | InvalidRefreshToken


@mutation(description="End a session everywhere.")
async def logout(info: Info, input: LogoutInput) -> LogoutResult:
    return await run_then(  # type: ignore[return-value]
        lambda: sessions.logout(info.context.services, input.refresh_token),
        lambda _: LoggedOut(ok=True),
    )
